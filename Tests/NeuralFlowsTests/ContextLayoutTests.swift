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
}
