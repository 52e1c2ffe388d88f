import Foundation
import SpectralSynthesis
import Testing

/// Calzetti et al. (2000) k(λ) against the values of its eq. 4, and the power law.
struct DustLawTests {
    @Test func calzettiAtVIsRV() {
        // k(0.55 µm) = 4.05 by construction (to the precision of the published coefficients).
        #expect(abs(DustLaw.calzettiK(micron: 0.55) - 4.05) < 0.005)
        #expect(abs(DustLaw.calzetti.relativeAttenuation(wavelength: 5500) - 1) < 0.002)
    }

    @Test(arguments: [(0.15, 10.3339), (0.30, 6.9255), (0.45, 4.9548), (1.0, 1.8776), (2.2, 0.3692)])
    func calzettiBranchesMatchEquationFour(_ micron: Double, _ expected: Double) {
        // Expected values: eq. 4 evaluated independently (Python, 4 decimals): 2.659(−2.156 + 1.509/λ − 0.198/λ² + 0.011/λ³) + 4.05
        // below 0.63 µm and 2.659(−1.857 + 1.040/λ) + 4.05 above.
        #expect(abs(DustLaw.calzettiK(micron: micron) - expected) < 2e-4)
    }

    @Test func redBranchJoinsTheBlueBranchAt063Micron() {
        let x: Double = 1 / 0.63
        let polynomial: Double = -2.156 + 1.509 * x - 0.198 * x * x + 0.011 * x * x * x
        let blue: Double = 2.659 * polynomial + 4.05
        let red = DustLaw.calzettiK(micron: 0.63)
        // The published branches meet to 0.7 % (a known small step of the fit).
        #expect(abs(red - blue) / red < 0.008)
        #expect(abs(DustLaw.calzettiK(micron: 0.63.nextDown) - blue) < 1e-12)
    }

    @Test func ultravioletExtensionIsContinuous() {
        let at = DustLaw.calzettiK(micron: 0.12), below = DustLaw.calzettiK(micron: 0.12.nextDown)
        #expect(abs(at - below) < 1e-9)
        #expect(DustLaw.calzettiK(micron: 0.1) > at)
    }

    @Test func transmissionFollowsTheMagnitudeConvention() {
        let t = DustLaw.powerLaw(index: -0.7).transmission(wavelengths: [5500, 11000], dust2: 0.8)
        #expect(abs(t[0] - pow(10, -0.4 * 1.086 * 0.8)) < 1e-12)
        #expect(abs(t[1] - pow(10, -0.4 * 1.086 * 0.8 * pow(2, -0.7))) < 1e-12)
        #expect(DustLaw.calzetti.transmission(wavelengths: [3000], dust2: 0).first == 1)
    }
}
