import Diagnostics
import DigsCore
import Foundation
import Testing

@Suite("Posterior predictive check")
struct PredictiveCheckTests {
    /// Three pixels, the middle one masked; four model spectra.
    static let observation = NoisySpectrum(logFlux: [1.0, 5.0, 2.0] as [Float], sigma: [0.5, 0.1, 0.25] as [Float],
                                           mask: [1, 0, 1] as [UInt8])
    static let spectra: [Float] = [0.5, 9, 2.0,
                                   1.5, 9, 2.5,
                                   1.0, 9, 1.5,
                                   2.0, 9, 2.25]

    @Test func percentilesResidualsAndChiSquareByHand() {
        let c = PredictiveCheck(observation: Self.observation, spectra: Self.spectra, draws: 4)
        // Pixel 0 sorted: 0.5 1.0 1.5 2.0 → median at position 1.5 = 1.25; p16 at 0.48 → 0.74; p84 at 2.52 → 1.76.
        #expect(abs(Double(c.median[0]) - 1.25) < 1e-6)
        #expect(abs(Double(c.p16[0]) - 0.74) < 1e-6)
        #expect(abs(Double(c.p84[0]) - 1.76) < 1e-6)
        // Pixel 2 sorted: 1.5 2.0 2.25 2.5 → median 2.125.
        #expect(abs(Double(c.median[2]) - 2.125) < 1e-6)
        #expect(c.median[1] == 9)  // the predictive spectrum is drawn at masked pixels too
        #expect(c.residual[1].isNaN)
        #expect(abs(Double(c.residual[0]) - (1.0 - 1.25)) < 1e-6)
        let chi2 = pow((1.0 - 1.25) / 0.5, 2) + pow((2.0 - 2.125) / 0.25, 2)
        #expect(abs(c.chi2 - chi2) < 1e-9)
        #expect(c.dof == 2)
    }

    /// With 2 degrees of freedom the χ² survival function is exp(−χ²/2), so the predictive
    /// p-value is the mean over draws of exp(−χ²_k/2), χ²_k over the usable pixels only.
    @Test func pValueIsTheMeanSurvivalProbabilityOverDraws() {
        let c = PredictiveCheck(observation: Self.observation, spectra: Self.spectra, draws: 4)
        let x = [1.0, 2.0], s = [0.5, 0.25]
        let models = [[0.5, 2.0], [1.5, 2.5], [1.0, 1.5], [2.0, 2.25]]
        var expected = 0.0
        for m in models {
            let z0 = (x[0] - m[0]) / s[0], z1 = (x[1] - m[1]) / s[1]
            expected += exp(-(z0 * z0 + z1 * z1) / 2) / 4
        }
        #expect(abs(c.pValue - expected) < 1e-12)
    }

    @Test func chiSquareLeavesOutMaskedPixels() {
        let model: [Float] = [0, 1e6, 0]
        #expect(abs(Self.observation.chiSquare(model: model) - (pow(1.0 / 0.5, 2) + pow(2.0 / 0.25, 2))) < 1e-9)
    }

    @Test func flagsAreBits() {
        let flags: PosteriorFlags = [.outOfDistribution, .medianAtPriorEdge]
        #expect(flags.rawValue == 5)
        #expect(PosteriorFlags.all.map(\.rawValue) == [1, 2, 4, 8])
    }
}

@Suite("Posterior flags in words (the catalog's PROBLEM column)")
struct PosteriorFlagWordsTests {
    @Test func edgesNameTheParameterAndTheEdge() {
        let names = ["log_mass", "t_age", "log_z"]
        let low = [6.0, 0.05, -2.0], high = [13.0, 13.4, 0.2]
        let flags: PosteriorFlags = [.medianAtPriorEdge, .outOfDistribution]
        let text = flags.describe(names: names, p50: [6.03, 5.0, 0.19], low: low, high: high, chi2: 300, dof: 150, pValue: 1e-9)
        #expect(text == "log_mass median 6.03 at the prior's lower edge 6: the prior cuts the posterior; "
                + "log_z median 0.19 at the prior's upper edge 0.2: the prior cuts the posterior; predictive check fails: chi2/dof 2.00, p 1e-09")
        #expect(PosteriorFlags().describe(names: names, p50: [9, 5, -1], low: low, high: high) == "")
        #expect(PosteriorFlags.unreliableFlow.describe(names: names, p50: [9, 5, -1], low: low, high: high, paretoK: 0.93)
                == "flow unreliable here: Pareto k 0.93")
    }
}
