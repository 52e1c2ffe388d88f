/// Adam (Kingma & Ba 2015) as in PyTorch: the per-parameter update rule, kept apart from
/// walking the parameters (`AdamState.step`).
public struct Adam: Codable, Equatable, Sendable {
    public var learningRate: Double
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8

    public init(learningRate: Double) { self.learningRate = learningRate }

    /// One update of a parameter p with gradient g and moments (m, v) at step t ≥ 1.
    @inlinable
    public func update(_ p: inout Float, gradient g: Float, m: inout Float, v: inout Float,
                       correction1: Double, correction2: Double) {
        m = Float(beta1) * m + Float(1 - beta1) * g
        v = Float(beta2) * v + Float(1 - beta2) * g * g
        let mHat = Double(m) / correction1, vHat = Double(v) / correction2
        p -= Float(learningRate * mHat / (vHat.squareRoot() + epsilon))
    }
}

/// The moments and step count of Adam over a flat parameter vector.
public struct AdamState: Equatable, Sendable {
    public var m: [Float]
    public var v: [Float]
    public var step: Int

    public init(count: Int) {
        m = [Float](repeating: 0, count: count)
        v = m
        step = 0
    }

    public init(m: [Float], v: [Float], step: Int) {
        self.m = m
        self.v = v
        self.step = step
    }

    /// Applies one Adam step to every parameter.
    public mutating func step(_ optimizer: Adam, parameters: inout [Float], gradient: [Float]) {
        step += 1
        let c1 = 1 - Foundation.pow(optimizer.beta1, Double(step)), c2 = 1 - Foundation.pow(optimizer.beta2, Double(step))
        for i in parameters.indices {
            optimizer.update(&parameters[i], gradient: gradient[i], m: &m[i], v: &v[i], correction1: c1, correction2: c2)
        }
    }
}

import Foundation
