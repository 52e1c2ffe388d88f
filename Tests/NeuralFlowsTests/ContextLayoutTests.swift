import DigsCore
import NeuralFlows
import Testing

@Suite("Context layouts")
struct ContextLayoutTests {
    @Test("flux_sigma_mask puts x, log10 σ and the mask side by side and zeroes masked pixels whatever they hold")
    func encode() {
        let x: [Float] = [1, 2, 3], sigma: [Float] = [0.01, 0.1, 1], mask: [UInt8] = [1, 0, 1]
        let c = ContextLayout.fluxSigmaMask.encode(x: x[...], sigma: sigma[...], mask: mask[...])
        #expect(c == [1, 0, 3, -2, 0, 0, 1, 0, 1])
        let perturbed = ContextLayout.fluxSigmaMask.encode(x: [1, .nan, 3][...], sigma: [0.01, -5, 1][...], mask: mask[...])
        #expect(perturbed == c)
        #expect(ContextLayout.flux.encode(x: x[...], sigma: sigma[...], mask: mask[...]) == x)
        #expect(ContextLayout.fluxSigmaMask.contextSize(pixels: 138) == 414 && ContextLayout.flux.contextSize(pixels: 138) == 138)
    }

    static func spectrum(masked: Int = 0, sigma: Float = 0.02, bad: Bool = false) -> NoisySpectrum {
        var x = [Float](repeating: 1, count: 10)
        if bad { x[9] = .nan }
        return NoisySpectrum(logFlux: x, sigma: [Float](repeating: sigma, count: 10),
                             mask: (0..<10).map { $0 < masked ? 0 : 1 })
    }

    @Test("each refusal rule, and nothing refused inside them")
    func refusals() {
        let trained = [Double](repeating: 0.02, count: 10)
        #expect(ContextLayout.flux.refusal(Self.spectrum(), trainedSigma: trained) == nil)
        #expect(ContextLayout.fluxSigmaMask.refusal(Self.spectrum(masked: 5), trainedSigma: nil) == nil)
        #expect(ContextLayout.fluxSigmaMask.refusal(Self.spectrum(bad: true), trainedSigma: nil)?.contains("NaN") == true)
        // A NaN at a masked pixel is no data, not bad data.
        var x = [Float](repeating: 1, count: 10)
        x[0] = .nan
        let maskedNaN = NoisySpectrum(logFlux: x, sigma: [Float](repeating: 0.02, count: 10), mask: [0] + [UInt8](repeating: 1, count: 9))
        #expect(ContextLayout.fluxSigmaMask.refusal(maskedNaN, trainedSigma: nil) == nil)
        #expect(ContextLayout.flux.refusal(Self.spectrum(masked: 1), trainedSigma: trained)?.contains("1 of 10 pixels masked") == true)
        #expect(ContextLayout.fluxSigmaMask.refusal(Self.spectrum(masked: 6), trainedSigma: nil)?.contains("only 4 of 10") == true)
        #expect(ContextLayout.flux.refusal(Self.spectrum(sigma: 0.041), trainedSigma: trained)?.contains("2.05×") == true)
        #expect(ContextLayout.flux.refusal(Self.spectrum(sigma: 0.039), trainedSigma: trained) == nil)
        #expect(ContextLayout.flux.refusal(Self.spectrum(sigma: 0.0099), trainedSigma: trained) != nil)
    }
}
