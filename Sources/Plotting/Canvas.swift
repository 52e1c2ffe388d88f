import CCairo
import DigsCore
import Foundation

/// A drawing surface of a given size in points (1/72 inch), rendered by Cairo either as a PNG
/// (at `scale` pixels per point) or as a PDF; written to a temporary name and renamed.
public final class Canvas {
    public enum Format: String, Sendable { case png, pdf }
    public let width: Double, height: Double
    public let format: Format
    let surface: OpaquePointer
    let context: OpaquePointer
    private let path: String
    private let temporary: String

    public init(path: String, width: Double, height: Double, format: Format, scale: Double = 2) throws {
        self.width = width
        self.height = height
        self.format = format
        self.path = path
        temporary = AtomicWrite.temporaryPath(for: path)
        switch format {
        case .png:
            surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width * scale), Int32(height * scale))
        case .pdf:
            surface = cairo_pdf_surface_create(temporary, width, height)
        }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw DigsError.library(name: "cairo", path: path, operation: "creating a \(format.rawValue) surface",
                                    message: String(cString: cairo_status_to_string(cairo_surface_status(surface))))
        }
        context = cairo_create(surface)
        if format == .png { cairo_scale(context, scale, scale) }
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
        cairo_select_font_face(context, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    /// Finishes the drawing and moves the file into place.
    public func save() throws {
        cairo_surface_flush(surface)
        if format == .png {
            let status = cairo_surface_write_to_png(surface, temporary)
            guard status == CAIRO_STATUS_SUCCESS else {
                throw DigsError.library(name: "cairo", path: path, operation: "writing PNG", message: String(cString: cairo_status_to_string(status)))
            }
        } else {
            cairo_surface_finish(surface)
        }
        try AtomicWrite.moveIntoPlace(temporary, to: path)
    }

    // MARK: - Drawing primitives (canvas coordinates, points)

    public func setColor(_ c: Color, alpha: Double = 1) { cairo_set_source_rgba(context, c.r, c.g, c.b, alpha) }

    /// A polyline; a non-finite point (a masked pixel) breaks it into separate runs.
    public func line(_ points: [(Double, Double)], color: Color, width: Double = 1.2, dash: [Double] = []) {
        guard !points.isEmpty else { return }
        setColor(color)
        cairo_set_line_width(context, width)
        cairo_set_dash(context, dash, Int32(dash.count), 0)
        var drawing = false
        for p in points {
            guard p.0.isFinite && p.1.isFinite else { drawing = false; continue }
            if drawing { cairo_line_to(context, p.0, p.1) } else { cairo_move_to(context, p.0, p.1) }
            drawing = true
        }
        cairo_stroke(context)
        cairo_set_dash(context, [], 0, 0)
    }

    /// A filled polygon through the finite points (non-finite ones, masked pixels, are left out).
    public func polygon(_ points: [(Double, Double)], color: Color, alpha: Double) {
        let points = points.filter { $0.0.isFinite && $0.1.isFinite }
        guard let first = points.first else { return }
        setColor(color, alpha: alpha)
        cairo_move_to(context, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(context, p.0, p.1) }
        cairo_close_path(context)
        cairo_fill(context)
    }

    /// A band between `lower` and `upper` (canvas points, one pair per x): one filled polygon per
    /// run of finite points, so missing values (masked pixels) are gaps, not bridged.
    public func band(lower: [(Double, Double)], upper: [(Double, Double)], color: Color, alpha: Double) {
        precondition(lower.count == upper.count)
        var start = 0
        while start < lower.count {
            let finite = { (i: Int) in lower[i].0.isFinite && lower[i].1.isFinite && upper[i].0.isFinite && upper[i].1.isFinite }
            guard finite(start) else { start += 1; continue }
            var end = start
            while end < lower.count && finite(end) { end += 1 }
            polygon(Array(lower[start..<end]) + upper[start..<end].reversed(), color: color, alpha: alpha)
            start = end
        }
    }

    public func circle(_ x: Double, _ y: Double, radius: Double, color: Color, alpha: Double = 1) {
        setColor(color, alpha: alpha)
        cairo_arc(context, x, y, radius, 0, 2 * .pi)
        cairo_fill(context)
    }

    /// Text anchored at (x, y): `align` 0 left, 0.5 centre, 1 right; `rotate` in radians.
    public func text(_ s: String, x: Double, y: Double, size: Double = 10, align: Double = 0, valign: Double = 0.5,
                     rotate: Double = 0, color: Color = .black) {
        setColor(color)
        cairo_set_font_size(context, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, s, &extents)
        cairo_save(context)
        cairo_translate(context, x, y)
        cairo_rotate(context, rotate)
        cairo_move_to(context, -extents.width * align - extents.x_bearing, extents.height * valign)
        cairo_show_text(context, s)
        cairo_restore(context)
    }
}

/// An RGB colour (0…1).
public struct Color: Sendable, Equatable {
    public let r, g, b: Double
    public init(_ r: Double, _ g: Double, _ b: Double) { (self.r, self.g, self.b) = (r, g, b) }
    public static let black = Color(0, 0, 0)
    public static let grey = Color(0.55, 0.55, 0.55)
    /// NPE (blue), MCMC (orange), truth/reference (dark grey): the same in every figure.
    public static let npe = Color(0.12, 0.47, 0.71)
    public static let mcmc = Color(1.0, 0.50, 0.05)
    public static let truth = Color(0.2, 0.2, 0.2)
    public static let validation = Color(0.84, 0.15, 0.16)
}
