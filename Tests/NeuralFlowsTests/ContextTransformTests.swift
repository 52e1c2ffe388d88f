import DigsCore
import Foundation
import NeuralFlows
import Testing

@Suite("Context transforms")
struct ContextTransformTests {
    @Test("level_shape of complete spectra: the mean log flux, then each pixel minus it (hand-computed), and it inverts")
    func levelShapeFlux() {
        let x: [Float] = [1, 2, 6]
        let t = ContextTransform.levelShape.apply(x, layout: .flux)
        #expect(t == [3, -2, -1, 3])
        for j in 0..<3 {
            let restored: Float = t[0] + t[1 + j]
            #expect(restored == x[j])
        }
        #expect(ContextTransform.pixels.apply(x, layout: .flux) == [1, 2, 6])
        #expect(ContextTransform.levelShape.extraEntries == 1 && ContextTransform.pixels.extraEntries == 0)
    }

    @Test("level_shape with masks: the level over usable pixels only, masked pixels 0, log σ and the mask unchanged")
    func levelShapeMasked() {
        // flux_sigma_mask encoding of x = [1, (masked), 5], log10 σ = [−2, 0, 0], mask = [1, 0, 1].
        let encoded = ContextLayout.fluxSigmaMask.encode(x: [1, 100, 5][...], sigma: [0.01, 1, 1][...], mask: [1, 0, 1][...])
        let t = ContextTransform.levelShape.apply(encoded, layout: .fluxSigmaMask)
        #expect(t == [3, -2, 0, 2, -2, 0, 0, 1, 0, 1])
        // No usable pixel: level 0 rather than NaN.
        let none = ContextLayout.fluxSigmaMask.encode(x: [1, 2][...], sigma: [1, 1][...], mask: [0, 0][...])
        #expect(ContextTransform.levelShape.apply(none, layout: .fluxSigmaMask) == [0, 0, 0, 0, 0, 0, 0])
    }

    @Test("a flow trained on level_shape contexts standardises its data as training did and takes raw contexts")
    func trainingAndInferenceAgree() throws {
        var g = RandomStreams(seed: 3).generator(.testing)
        let n = 400
        var theta = [Double](), x = [Float]()
        for _ in 0..<n {
            let t = [g.nextUniform(), g.nextUniform()]
            theta += t
            x += [Float(10 * t[0] + 0.1 * t[1]), Float(10 * t[0] - 0.1 * t[1]), Float(10 * t[0] + 0.01 * g.nextNormal())]
        }
        let (data, s) = TrainingData.prepare(theta: try NDArray(shape: [n, 2], data: theta), x: try NDArray(shape: [n, 3], data: x),
                                             low: [0, 0], high: [1, 1], contextTransform: .levelShape)
        #expect(s.xMean.count == 4 && s.rawContextCount == 3)
        // The shape entries carry t[1] at unit variance although it moves the flux by 1 % of the level.
        let expected: Double = 0.1 * (1.0 / 12).squareRoot()
        #expect(abs(s.xStd[1] - expected) < 0.01)
        for r in [0, 7, 399] {
            let row = s.standardize(x: x[(3 * r)..<(3 * r + 3)])
            #expect(Array(data.x[(4 * r)..<(4 * r + 4)]) == row)
        }
        var gen = Xoshiro256StarStar(seed: 1)
        let a = MAFArchitecture(features: 2, context: 4, hidden: 6, transforms: 2)
        let posterior = try AutoregressiveFlow(network: MAFNetwork<Float>(architecture: a, generator: &gen), standardization: s,
                                          parameterNames: ["a", "b"])
        let lp = try posterior.logProb(theta: try NDArray(shape: [1, 2], data: [0.5, 0.5]), x: try NDArray(shape: [1, 3], data: [5, 5, 5]))
        #expect(lp.count == 1 && lp[0].isFinite)
        #expect(throws: DigsError.self) {
            _ = try posterior.logProb(theta: try NDArray(shape: [1, 2], data: [0.5, 0.5]), x: try NDArray(shape: [1, 4], data: [5, 5, 5, 5]))
        }
    }
}
