import Foundation

/// Unbounded coordinates for a box [low, high]^D: y_j = log((θ_j − l_j)/(h_j − θ_j)), so a
/// Gaussian in y is a density inside the box whatever its width. θ = l + (h − l)·σ(y), and
/// log|dy/dθ| = Σ_j log((h_j − l_j)/((θ_j − l_j)(h_j − θ_j))).
public struct BoxCoordinates: Sendable, Equatable {
    public let low: [Double]
    public let high: [Double]

    public init(low: [Double], high: [Double]) {
        precondition(low.count == high.count && zip(low, high).allSatisfy { $0 < $1 }, "a box needs low < high in every dimension")
        (self.low, self.high) = (low, high)
    }

    public var dimensions: Int { low.count }

    /// log of the box's volume (∏ (h − l)).
    public var logVolume: Double { zip(low, high).reduce(0) { $0 + log($1.1 - $1.0) } }

    /// Whether θ lies strictly inside, where y is finite.
    public func isInterior<C: Collection>(_ theta: C) -> Bool where C.Element == Double {
        zip(theta, zip(low, high)).allSatisfy { $0 > $1.0 && $0 < $1.1 }
    }

    /// y for a θ strictly inside the box.
    public func unbounded<C: Collection>(_ theta: C) -> [Double] where C.Element == Double {
        zip(theta, zip(low, high)).map { t, b in log((t - b.0) / (b.1 - t)) }
    }

    /// θ for any y (the logistic function maps it into the box).
    public func bounded(_ y: [Double]) -> [Double] {
        zip(y, zip(low, high)).map { v, b in b.0 + (b.1 - b.0) / (1 + exp(-v)) }
    }

    /// log|dy/dθ| at a θ strictly inside the box.
    public func logJacobian<C: Collection>(_ theta: C) -> Double where C.Element == Double {
        zip(theta, zip(low, high)).reduce(0) { acc, pair in
            let (t, (l, h)) = pair
            return acc + log((h - l) / ((t - l) * (h - t)))
        }
    }
}
