# Sweep tests (filled in by the sweep work).
