import Foundation

/// A plot panel: a rectangle of the canvas (points) and the data ranges it shows. Maps data
/// to canvas coordinates linearly (y up), draws the frame, ticks and labels.
public struct Axes: Sendable {
    /// Panel rectangle in canvas points: left, top, width, height.
    public let left, top, width, height: Double
    public let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

    public init(left: Double, top: Double, width: Double, height: Double, x: ClosedRange<Double>, y: ClosedRange<Double>) {
        (self.left, self.top, self.width, self.height) = (left, top, width, height)
        xRange = x.lowerBound < x.upperBound ? x : (x.lowerBound - 0.5)...(x.upperBound + 0.5)
        yRange = y.lowerBound < y.upperBound ? y : (y.lowerBound - 0.5)...(y.upperBound + 0.5)
    }

    /// Canvas coordinates of a data point.
    public func point(_ x: Double, _ y: Double) -> (Double, Double) {
        (left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * width,
         top + height - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * height)
    }

    /// "Nice" tick values (1, 2 or 5 × 10ᵏ apart) inside a range, about `target` of them.
    public static func ticks(_ range: ClosedRange<Double>, target: Int = 5) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / Double(max(target, 1)), magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = Int(ceil(range.lowerBound / step - 1e-9)), last = Int(floor(range.upperBound / step + 1e-9))
        // k·step rounded to the step's decimals, so 3 × 0.2 prints and compares as 0.6.
        let scale = pow(10, max(0, -floor(log10(step))))
        return (first...max(first, last)).map { (Double($0) * step * scale).rounded() / scale }
    }

    /// A range padded by a fraction of its span on both sides.
    public static func padded(_ values: [Double], fraction: Double = 0.05) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        let pad = (hi - lo) * fraction
        return (lo - pad)...(hi + pad)
    }

    /// Frame, ticks with labels, axis labels (with units) and an optional title.
    public func draw(on canvas: Canvas, xLabel: String, yLabel: String, title: String? = nil, fontSize: Double = 9) {
        canvas.line([(left, top), (left + width, top), (left + width, top + height), (left, top + height), (left, top)],
                    color: .black, width: 0.8)
        for x in Self.ticks(xRange) {
            let (px, py) = point(x, yRange.lowerBound)
            canvas.line([(px, py), (px, py - 4)], color: .black, width: 0.8)
            canvas.text(Self.format(x), x: px, y: py + 4 + fontSize * 0.5, size: fontSize, align: 0.5)
        }
        for y in Self.ticks(yRange) {
            let (px, py) = point(xRange.lowerBound, y)
            canvas.line([(px, py), (px + 4, py)], color: .black, width: 0.8)
            canvas.text(Self.format(y), x: px - 4, y: py, size: fontSize, align: 1)
        }
        canvas.text(xLabel, x: left + width / 2, y: top + height + 2.6 * fontSize, size: fontSize + 1, align: 0.5)
        canvas.text(yLabel, x: left - 3.8 * fontSize, y: top + height / 2, size: fontSize + 1, align: 0.5, rotate: -.pi / 2)
        if let title { canvas.text(title, x: left + width / 2, y: top - fontSize, size: fontSize + 1, align: 0.5) }
    }

    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e4 || a < 1e-3 { return String(format: "%.0e", v) }
        return String(format: "%g", (v * 1e6).rounded() / 1e6)
    }
}
