import CCairo
import Foundation
import Plotting
import Testing

/// Pixels of a PNG as ARGB32 words, read back with Cairo.
private func pixels(_ path: String) throws -> (width: Int, height: Int, data: [UInt32]) {
    let image = cairo_image_surface_create_from_png(path)
    defer { cairo_surface_destroy(image) }
    guard cairo_surface_status(image) == CAIRO_STATUS_SUCCESS else { throw CocoaError(.fileReadCorruptFile) }
    let width = Int(cairo_image_surface_get_width(image)), height = Int(cairo_image_surface_get_height(image))
    let stride = Int(cairo_image_surface_get_stride(image)), base = cairo_image_surface_get_data(image)!
    var data = [UInt32]()
    data.reserveCapacity(width * height)
    for row in 0..<height {
        let line = UnsafeRawPointer(base + row * stride).assumingMemoryBound(to: UInt32.self)
        data += (0..<width).map { line[$0] }
    }
    return (width, height, data)
}

/// How far two images are apart: the fraction of pixels whose largest channel difference
/// exceeds 48 of 255 (anti-aliasing and font hinting stay below), and the mean channel difference.
private func difference(_ a: [UInt32], _ b: [UInt32]) -> (fraction: Double, mean: Double) {
    var far = 0, total = 0.0
    for (x, y) in zip(a, b) {
        var largest = 0, sum = 0
        for shift: UInt32 in [0, 8, 16] {
            let u = Int((x >> shift) & 0xFF), v = Int((y >> shift) & 0xFF)
            largest = max(largest, abs(u - v))
            sum += abs(u - v)
        }
        if largest > 48 { far += 1 }
        total += Double(sum) / 3
    }
    return (Double(far) / Double(a.count), total / Double(a.count))
}

@Suite("Golden image")
struct GoldenImageTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/training_curve.png").path

    /// A fixed training curve: the simplest figure, with text, lines, a marker and a legend.
    static func draw(_ path: String, validationOffset: Double = 0.12) throws {
        let train = (1...60).map { -9 + 6 * exp(-Double($0) / 8) }
        let validation = train.enumerated().map { $1 + validationOffset + 0.002 * Double(max(0, $0 - 40)) }
        try Figures.trainingCurve(train: train, validation: validation, bestEpoch: 41, path: path, format: .png)
    }

    @Test("the training curve matches the committed golden PNG within tolerance; a changed curve does not")
    func trainingCurve() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digs-golden-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.draw(path)
        if ProcessInfo.processInfo.environment["DIGS_RECORD_GOLDEN"] == "1" {
            try? FileManager.default.removeItem(atPath: Self.golden)
            try FileManager.default.copyItem(atPath: path, toPath: Self.golden)
        }
        let (drawn, expected) = (try pixels(path), try pixels(Self.golden))
        #expect(drawn.width == expected.width && drawn.height == expected.height)
        let d = difference(drawn.data, expected.data)
        #expect(d.fraction < 0.002 && d.mean < 0.5, "differs from \(Self.golden): \(d); re-record with DIGS_RECORD_GOLDEN=1 if intended")

        // The tolerance is tight enough to see a curve moved by a few pixels.
        try Self.draw(path, validationOffset: 0.3)
        let moved = difference(try pixels(path).data, expected.data)
        #expect(moved.fraction >= 0.002 || moved.mean >= 0.5, "a moved validation curve passed as the golden image: \(moved)")
    }
}

/// Masked pixels (NaN) are gaps in the fit figure: it is drawn (it used to trap on NaN axis
/// limits when the first pixel was masked) and nothing is painted over the masked blue end.
@Suite("Masked pixels in figures")
struct MaskedPixelFigureTests {
    @Test func theFitFigureLeavesMaskedPixelsEmpty() throws {
        let n = 100, masked = 20
        let wavelength = (0..<n).map { 3800 + 20 * Double($0) }
        let model = wavelength.map { -0.3 * log10($0 / 5000) }
        let observed = model.enumerated().map { $0.offset < masked ? Double.nan : $0.element + 0.01 * sin(Double($0.offset)) }
        let sigma = (0..<n).map { $0 < masked ? Double.nan : 0.01 }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digs-fit-\(UUID().uuidString).png").path
        try Figures.spectrumFit(wavelength: wavelength, observed: observed, median: model, p16: model.map { $0 - 0.01 },
                                p84: model.map { $0 + 0.01 }, sigma: sigma, title: "masked blue end", path: path, format: .png)
        let image = try pixels(path)
        let scale = Double(image.width) / 520
        // The residual panel (top 265 pt, height 80 pt) over the masked pixels' wavelengths: the
        // x axis spans the pixel centres over 430 pt from 65 pt, so the first 20 pixels end at
        // 65 + 430·19/99 ≈ 147 pt; look at 75–140 pt, inside the frame, away from the zero line.
        var painted = 0
        for yPt in stride(from: 270.0, through: 300, by: 1) {
            for xPt in stride(from: 75.0, through: 140, by: 1) {
                let p = image.data[Int(yPt * scale) * image.width + Int(xPt * scale)]
                if p & 0xFF_FF_FF != 0xFF_FF_FF { painted += 1 }
            }
        }
        #expect(painted == 0, "\(painted) painted pixels over the masked pixels")
        // …while over the unmasked pixels the noise band is drawn.
        var band = 0
        for xPt in stride(from: 300.0, through: 400, by: 1) {
            let p = image.data[Int(305 * scale) * image.width + Int(xPt * scale)]
            if p & 0xFF_FF_FF != 0xFF_FF_FF { band += 1 }
        }
        #expect(band > 50)
    }
}
