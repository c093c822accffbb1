"""The ParaView half of scripts/render-fields: run by `pvbatch render_fields_pv.py JOB.json`
(under `xvfb-run -a` when there is no X server: Debian's ParaView 5.11 renders through GLX only).

JOB.json is written by scripts/lib/render_fields.py, which has already chosen everything (times,
fields, colour ranges, the section plane, layer depths, labels, file names); this script only
renders. It reads the run's fields.xmf with ParaView's XDMF reader (true cell data: each voxel is
drawn as the flat cell it is) and, per entry of job["renders"], draws one of

  section  the vertical x-z plane through a row of needle tracks (y = job["section_y"]), depth
           downwards, layer boundaries as lines with their names, a colour bar, axes in mm;
  top      the horizontal plane at depth job["top_z"] (papillary dermis), seen from above;
  view3d   the block in perspective: iso-surfaces of damage and new collagen, its outline and the
           layer boundaries on its faces;

and saves it with SaveScreenshot at exactly the requested size. A 2D run (one y voxel, stored as
two half-voxel layers) is the x-z section of slits uniform along y: for the top and 3D views it
is stretched along y to job["tile_y"] (the model's fields are uniform along y in 2D).
"""

import json
import sys

import time

import paraview.simple
from paraview.simple import (  # noqa: F401  (ParaView's API)
    CellDatatoPointData, ColorBy, Contour, CreateRenderView, GetColorTransferFunction,
    GetScalarBar, Line, Outline, SaveScreenshot, Show, Slice, Text, Transform,
    XDMFReader)

BLACK = [0.0, 0.0, 0.0]
WHITE = [1.0, 1.0, 1.0]
GREY = [0.25, 0.25, 0.25]


def load_job():
    with open(sys.argv[1]) as handle:
        return json.load(handle)


JOB = load_job()
# The cameras are placed exactly (pixels per mm); ParaView must not reset them on first render.
paraview.simple._DisableFirstRenderCameraReset()
B = JOB["bounds"]  # x0, x1, y0, y1, z0, z1 of the (possibly stretched) block, mm
LAYERS = JOB["layers"]  # [name, top, bottom]


def new_view(size):
    view = CreateRenderView()
    view.ViewSize = list(size)
    view.OrientationAxesVisibility = 0
    if hasattr(view, "UseColorPaletteForBackground"):
        view.UseColorPaletteForBackground = 0
    view.Background = WHITE
    if hasattr(view, "UseFXAA"):
        view.UseFXAA = 0  # crisp voxel edges and text; and a third faster on llvmpipe
    return view


def save(view, size, entry):
    """Renders the view at the entry's time into its file (SaveScreenshot renders itself)."""
    view.ViewTime = entry["time"]
    SaveScreenshot(entry["file"], view, ImageResolution=list(size), TransparentBackground=0)


def unlit(display):
    """Colours exactly as the colour bar shows them: no shading by the light."""
    display.Ambient = 1.0
    display.Diffuse = 0.0
    display.Specular = 0.0


def text(view, string, position, size=14, colour=BLACK, bold=False):
    source = Text(Text=string)
    display = Show(source, view)
    display.WindowLocation = "Any Location"
    display.Position = list(position)
    display.FontSize = size
    display.Color = colour
    display.Bold = 1 if bold else 0
    display.Justification = "Left"
    return source, display


def line(view, p1, p2, colour=BLACK, width=1.5):
    source = Line(Point1=list(p1), Point2=list(p2))
    display = Show(source, view)
    display.AmbientColor = colour
    display.DiffuseColor = colour
    display.LineWidth = width
    return display


def style_axes(view, x_title, y_title, z_title, faces, labels):
    grid = view.AxesGrid
    grid.Visibility = 1
    grid.XTitle, grid.YTitle, grid.ZTitle = x_title, y_title, z_title
    for axis in "XYZ":
        setattr(grid, f"{axis}TitleColor", BLACK)
        setattr(grid, f"{axis}LabelColor", BLACK)
        setattr(grid, f"{axis}TitleFontSize", 14)
        setattr(grid, f"{axis}LabelFontSize", 12)
    grid.GridColor = BLACK
    grid.ShowGrid = 0
    grid.FacesToRender = faces
    grid.AxesToLabel = labels


def place_camera(view, size, u_range, v_range, margins, u_axis, v_axis, camera_side):
    """Parallel projection that maps the world rectangle u_range x v_range (world axis u_axis to
    the right, v_axis downwards on screen) into the pixel box left by margins (left, right,
    top, bottom), centred, keeping the aspect ratio; the camera looks along the third axis from
    camera_side = (axis, value, sign). Returns (left, top, scale) of the placed rectangle in
    pixels (scale: pixels per mm)."""
    width, height = size
    left, right, top, bottom = margins
    du, dv = u_range[1] - u_range[0], v_range[1] - v_range[0]
    scale = min((width - left - right) / du, (height - top - bottom) / dv)
    px_left = left + ((width - left - right) - du * scale) / 2
    px_top = top + ((height - top - bottom) - dv * scale) / 2
    focal = [0.0, 0.0, 0.0]
    focal[u_axis] = u_range[0] + (width / 2 - px_left) / scale
    focal[v_axis] = v_range[0] + (height / 2 - px_top) / scale
    axis, value, sign = camera_side
    focal[axis] = value
    position = list(focal)
    position[axis] += sign * 100.0
    up = [0.0, 0.0, 0.0]
    up[v_axis] = -1.0
    view.CameraParallelProjection = 1
    view.CameraFocalPoint = focal
    view.CameraPosition = position
    view.CameraViewUp = up
    view.CameraParallelScale = height / (2 * scale)
    return px_left, px_top, scale


def to_viewport(size, px, py):
    """Pixel (from the top-left) -> normalised viewport position (from the bottom-left)."""
    return [px / size[0], 1.0 - py / size[1]]


class Colouring:
    """One lookup table per field, fixed over all times (job["fields"][f]["range"])."""

    def __init__(self):
        self.luts = {}

    def lut(self, field):
        if field not in self.luts:
            spec = JOB["fields"][field]
            lut = GetColorTransferFunction(field)
            if not lut.ApplyPreset(spec["preset"], True):
                lut.ApplyPreset("Viridis (matplotlib)", True)
            lut.AutomaticRescaleRangeMode = "Never"
            lut.RescaleTransferFunction(spec["range"][0], spec["range"][1])
            self.luts[field] = lut
        return self.luts[field]

    def bar(self, field, view, display, position, length):
        spec = JOB["fields"][field]
        for other, lut in self.luts.items():
            if other != field:
                GetScalarBar(lut, view).Visibility = 0
        lut = self.lut(field)
        ColorBy(display, ("CELLS", field))
        display.LookupTable = lut
        # ColorBy rescales a new table to the data at hand; the range is fixed over time.
        lut.AutomaticRescaleRangeMode = "Never"
        lut.RescaleTransferFunction(spec["range"][0], spec["range"][1])
        bar = GetScalarBar(lut, view)
        bar.Title = spec["title"]
        bar.ComponentTitle = f"[{spec['unit']}]"
        bar.TitleColor = BLACK
        bar.LabelColor = BLACK
        bar.TitleFontSize = 15
        bar.LabelFontSize = 13
        bar.WindowLocation = "Any Location"
        bar.Orientation = "Vertical"
        bar.Position = list(position)
        bar.ScalarBarLength = length
        bar.ScalarBarThickness = 18
        bar.AutomaticLabelFormat = 0
        bar.LabelFormat = "%.3g"
        bar.RangeLabelFormat = "%.3g"
        bar.AddRangeLabels = 1
        bar.DrawTickMarks = 1
        bar.Visibility = 1


COLOURING = Colouring()
READER = XDMFReader(FileNames=[JOB["xmf"]])
READER.CellArrayStatus = JOB["load_fields"]
READER.UpdatePipelineInformation()
if JOB["stretch_y"] != 1.0:
    BLOCK = Transform(Input=READER)
    BLOCK.Transform = "Transform"
    BLOCK.Transform.Scale = [1.0, JOB["stretch_y"], 1.0]
else:
    BLOCK = READER


class SectionScene:
    """The x-z section at y = section_y, depth downwards, camera on the +y side."""

    MARGINS = (120, 360, 95, 30)

    def __init__(self, size):
        self.size = size
        self.view = new_view(size)
        self.slice = Slice(Input=READER)
        self.slice.SliceType = "Plane"
        self.slice.SliceType.Origin = [0.0, JOB["section_y"], 0.0]
        self.slice.SliceType.Normal = [0.0, 1.0, 0.0]
        self.display = Show(self.slice, self.view)
        unlit(self.display)
        x0, x1, z0, z1 = B[0], B[1], B[4], B[5]
        y_front = JOB["section_y"] + 1e-3
        self.left, self.top, self.scale = place_camera(
            self.view, size, (x0, x1), (z0, z1), self.MARGINS, 0, 2, (1, JOB["section_y"], 1.0))
        # The axes grid draws the faces seen from behind (front faces are culled): the y = min
        # face for a camera on the +y side; labels on its x = min and z = min edges.
        style_axes(self.view, "x [mm]", "", "depth [mm]", faces=0x02, labels=0x01 | 0x04)
        self.view.AxesGrid.UseCustomBounds = 1
        self.view.AxesGrid.CustomBounds = [x0, x1, JOB["section_y"], JOB["section_y"], z0, z1]
        right = self.left + (x1 - x0) * self.scale
        for name, top, bottom in LAYERS:
            if top > z0 + 1e-9:
                line(self.view, (x0, y_front, top), (x1, y_front, top), colour=WHITE, width=2.0)
            middle = self.top + ((top + bottom) / 2 - z0) * self.scale
            if (bottom - top) * self.scale >= 14:
                text(self.view, name, to_viewport(size, right + 10, middle + 7), size=13,
                     colour=GREY)
        self.title = text(self.view, "", to_viewport(size, 12, 30), size=17, bold=True)[0]
        self.label = text(self.view, "", to_viewport(size, 12, 56), size=14)[0]
        self.bar_position = to_viewport(size, min(size[0] - 150, right + 170),
                                        self.top + (z1 - z0) * self.scale)
        self.bar_length = min(0.8, (z1 - z0) * self.scale / size[1])

    def render(self, entry):
        COLOURING.bar(entry["field"], self.view, self.display, self.bar_position,
                      self.bar_length)
        self.title.Text = entry["title"]
        self.label.Text = entry["label"]
        save(self.view, self.size, entry)


class TopScene:
    """The horizontal plane at z = top_z seen from above (x to the right, y downwards)."""

    MARGINS = (95, 300, 95, 30)

    def __init__(self, size):
        self.size = size
        self.view = new_view(size)
        self.slice = Slice(Input=BLOCK)
        self.slice.SliceType = "Plane"
        self.slice.SliceType.Origin = [0.0, 0.0, JOB["top_z"]]
        self.slice.SliceType.Normal = [0.0, 0.0, 1.0]
        self.display = Show(self.slice, self.view)
        unlit(self.display)
        x0, x1, y0, y1 = B[0], B[1], B[2], B[3]
        self.left, self.top, self.scale = place_camera(
            self.view, size, (x0, x1), (y0, y1), self.MARGINS, 0, 1, (2, JOB["top_z"], -1.0))
        # Camera above the surface (z < 0): the grid face seen from behind is z = max.
        style_axes(self.view, "x [mm]", "y [mm]", "", faces=0x20, labels=0x01 | 0x02)
        self.view.AxesGrid.UseCustomBounds = 1
        self.view.AxesGrid.CustomBounds = [x0, x1, y0, y1, JOB["top_z"], JOB["top_z"]]
        self.title = text(self.view, "", to_viewport(size, 12, 30), size=17, bold=True)[0]
        self.label = text(self.view, "", to_viewport(size, 12, 56), size=14)[0]
        right = self.left + (x1 - x0) * self.scale
        self.bar_position = to_viewport(size, min(size[0] - 150, right + 90),
                                        self.top + (y1 - y0) * self.scale)
        self.bar_length = min(0.8, (y1 - y0) * self.scale / size[1])

    def render(self, entry):
        COLOURING.bar(entry["field"], self.view, self.display, self.bar_position,
                      self.bar_length)
        self.title.Text = entry["title"]
        self.label.Text = entry["label"]
        save(self.view, self.size, entry)


class Scene3D:
    """Perspective view of the block: iso-surfaces of damage (red) and new collagen (green)."""

    def __init__(self, size):
        self.size = size
        self.view = new_view(size)
        points = CellDatatoPointData(Input=BLOCK)
        outline = Show(Outline(Input=BLOCK), self.view)
        outline.AmbientColor = BLACK
        outline.DiffuseColor = BLACK
        outline.LineWidth = 1.5
        self.surfaces = []
        for field, colour, opacity in (("damage", [0.85, 0.1, 0.1], 0.75),
                                       ("new_collagen", [0.1, 0.6, 0.2], 0.45)):
            if field not in JOB["iso"]:
                continue
            contour = Contour(Input=points)
            contour.ContourBy = ["POINTS", field]
            contour.Isosurfaces = [JOB["iso"][field]]
            contour.ComputeScalars = 0
            display = Show(contour, self.view)
            display.ColorArrayName = ["POINTS", ""]
            display.AmbientColor = colour
            display.DiffuseColor = colour
            display.Opacity = opacity
            self.surfaces.append(display)
        x0, x1, y0, y1, z0, z1 = B
        for name, top, bottom in LAYERS:
            if top > z0 + 1e-9:
                line(self.view, (x0, y1, top), (x1, y1, top), colour=GREY, width=1.5)
                line(self.view, (x1, y0, top), (x1, y1, top), colour=GREY, width=1.5)
        centre = [(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2]
        extent = max(x1 - x0, y1 - y0, z1 - z0)
        self.view.CameraParallelProjection = 0
        self.view.CameraFocalPoint = centre
        self.view.CameraPosition = [centre[0] + 1.6 * extent, centre[1] + 2.4 * extent,
                                    centre[2] - 1.5 * extent]
        self.view.CameraViewUp = [0.0, 0.0, -1.0]
        self.view.CameraViewAngle = 30.0
        style_axes(self.view, "x [mm]", "y [mm]", "depth [mm]", faces=0x01 | 0x02 | 0x20,
                   labels=0x3F)
        self.view.AxesGrid.ShowGrid = 0
        self.title = text(self.view, "", to_viewport(size, 12, 30), size=17, bold=True)[0]
        self.label = text(self.view, "", to_viewport(size, 12, 56), size=14)[0]
        legend = JOB["iso_legend"]
        text(self.view, legend, to_viewport(size, 12, size[1] - 14), size=13, colour=GREY)

    def render(self, entry):
        self.title.Text = entry["title"]
        self.label.Text = entry["label"]
        save(self.view, self.size, entry)


def main():
    start = time.time()
    scenes = {}
    kinds = {"section": SectionScene, "top": TopScene, "view3d": Scene3D}
    for entry in JOB["renders"]:
        key = (entry["kind"], tuple(entry["size"]))
        if key not in scenes:
            scenes[key] = kinds[entry["kind"]](tuple(entry["size"]))
        scenes[key].render(entry)
        print(f"rendered {entry['file']} at {time.time() - start:.2f} s", flush=True)


main()
