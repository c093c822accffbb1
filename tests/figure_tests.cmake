# Figure script tests (filled in by the figures work).
