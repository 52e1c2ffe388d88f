/// Adam (Kingma & Ba 2015) as in PyTorch: the per-parameter update rule, kept apart from
/// walking the parameters (`AdamState.step`).
public struct Adam: Codable, Equatable, Sendable {
    public var learningRate: Double
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8

    public init(learningRate: Double) { self.learningRate = learningRate }

    /// Step-dependent constants of the update: the bias corrections folded into a step size.
    public struct StepConstants: Sendable {
        let b1, b2, stepSize, rootC2, eps: Float
    }

    /// The constants for step t ≥ 1: step size lr/(1 − β₁ᵗ) and √(1 − β₂ᵗ).
    public func constants(step t: Int) -> StepConstants {
        let c1 = 1 - Foundation.pow(beta1, Double(t)), c2 = 1 - Foundation.pow(beta2, Double(t))
        return StepConstants(b1: Float(beta1), b2: Float(beta2), stepSize: Float(learningRate / c1),
                             rootC2: Float(c2.squareRoot()), eps: Float(epsilon))
    }

    /// One update of a parameter p with gradient g and moments (m, v):
    /// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − lr·m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
    @inline(__always)
    public static func update(_ p: inout Float, gradient g: Float, m: inout Float, v: inout Float, _ k: StepConstants) {
        m = k.b1 * m + (1 - k.b1) * g
        v = k.b2 * v + (1 - k.b2) * g * g
        p -= k.stepSize * m / (v.squareRoot() / k.rootC2 + k.eps)
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
        let k = optimizer.constants(step: step)
        let n = parameters.count
        parameters.withUnsafeMutableBufferPointer { p in
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    gradient.withUnsafeBufferPointer { g in
                        for i in 0..<n { Adam.update(&p[i], gradient: g[i], m: &m[i], v: &v[i], k) }
                    }
                }
            }
        }
    }
}

import Foundation
