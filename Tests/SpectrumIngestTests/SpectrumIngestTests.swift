import Foundation
import SpectrumIngest
import Testing

@Suite("Ingest physics: air/vacuum, distances, extinction, resampling")
struct SpectrumIngestTests {
    @Test("vacuum → air matches NIST's air and vacuum wavelengths of strong lines; air → vacuum inverts it")
    func airVacuum() {
        // NIST Atomic Spectra Database: (vacuum, air) Å.
        for (vacuum, air) in [(6564.614, 6562.801), (4862.683, 4861.333), (5008.240, 5006.843), (3727.092, 3726.032),
                              (5891.583, 5889.951), (8500.36, 8498.02)] {
            #expect(abs(AirVacuum.air(fromVacuum: vacuum) - air) < 0.01, "\(vacuum) Å")
            #expect(abs(AirVacuum.vacuum(fromAir: AirVacuum.air(fromVacuum: vacuum)) - vacuum) < 1e-9)
        }
    }

    @Test("luminosity distance: the Einstein–de Sitter closed form, and astropy's FlatLambdaCDM(70, 0.3)")
    func luminosityDistance() {
        let eds = FlatLambdaCDM(h0: 70, omegaM: 1)
        for z in [0.05, 0.5, 3.0] {
            let closed = 2 * eds.hubbleDistance * (1 + z) * (1 - 1 / (1 + z).squareRoot())
            #expect(abs(eds.luminosityDistance(z) / closed - 1) < 1e-12)
        }
        // astropy 8.0.2: FlatLambdaCDM(H0=70, Om0=0.3, Tcmb0=0).luminosity_distance(z) in Mpc.
        for (z, mpc) in [(0.01, 43.158235071933476), (0.1, 460.2999363904721), (0.5, 2832.9380939001253), (2.0, 15539.58622322812)] {
            #expect(abs(FlatLambdaCDM.standard.luminosityDistance(z) / mpc - 1) < 1e-10, "z = \(z)")
        }
    }

    @Test("age of the Universe: astropy's FlatLambdaCDM(70, 0.3).age(z) (numerical quadrature) and the Einstein–de Sitter limit")
    func ageOfTheUniverse() {
        // astropy 8.0.2: FlatLambdaCDM(H0=70, Om0=0.3, Tcmb0=0).age(z) in Gyr.
        for (z, gyr) in [(0.0, 13.466983947061873), (0.004, 13.411271752410245), (0.1, 12.165686389517033),
                         (0.2, 11.035005445683177), (1.0, 5.751646943448282), (3.0, 2.112527190892693)] {
            #expect(abs(FlatLambdaCDM.standard.age(z) / gyr - 1) < 1e-9, "z = \(z)")
        }
        #expect(abs(FlatLambdaCDM(h0: 67.4, omegaM: 0.315).age(0.05) / 13.096788797356554 - 1) < 1e-9)
        // Ω_m → 1 joins the Einstein–de Sitter 2/(3 H0) (1 + z)^(−3/2) continuously.
        let eds = FlatLambdaCDM(h0: 70, omegaM: 1), near = FlatLambdaCDM(h0: 70, omegaM: 1 - 1e-9)
        #expect(abs(eds.age(0.5) / (2.0 / 3 * eds.hubbleTime * pow(1.5, -1.5)) - 1) < 1e-15)
        #expect(abs(near.age(0.5) / eds.age(0.5) - 1) < 1e-8)
        #expect(FlatLambdaCDM(h0: 70, omegaM: 0).age(1) == .infinity)
    }

    @Test("CCM89 extinction: A_λ/A_V as Barbary's `extinction` package computes it, and exactly 1 at x = 1.82 μm⁻¹")
    func extinction() {
        // extinction 0.4.9: extinction.ccm89(wave, 1.0, 3.1) (monochromatic A_λ/A_V; CCM89 Table 3
        // lists band averages, 1.569 for U and 1.337 for B, about 0.012 higher at the blue end).
        for (angstrom, ratio) in [(3650.0, 1.55689583), (4400, 1.32452125), (5500, 0.99885), (7000, 0.75017339),
                                  (9000, 0.47880753), (3100, 1.76329743), (12000, 0.30123093)] {
            #expect(abs(MilkyWayExtinction.relative(angstrom) - ratio) < 1e-6, "\(angstrom) Å")
        }
        #expect(abs(MilkyWayExtinction.relative(1e4 / 1.82) - 1) < 1e-12)
        let law = MilkyWayExtinction(ebv: 0.1)
        #expect(abs(law.correction(5500) - pow(10, 0.4 * 0.31 * MilkyWayExtinction.relative(5500))) < 1e-12)
    }

    @Test("resampling conserves the mean flux, propagates variance, skips bad pixels and reports coverage")
    func resampling() {
        // Ten 1 Å input pixels 0…10 Å onto bins [0,2], [2,5], [5,12].
        let edges = (0...10).map(Double.init), flux = (0..<10).map { Double($0) }
        var good = [Bool](repeating: true, count: 10)
        good[3] = false
        let r = MaskedResampling.resample(inputEdges: edges, flux: flux, variance: [Double](repeating: 4, count: 10), good: good,
                                          outputEdges: [0, 2, 5, 12])
        #expect(r.flux[0] == 0.5 && r.variance[0] == 2 && r.coverage[0] == 1)     // mean of 0, 1; 4·2/2²
        #expect(r.flux[1] == 3 && r.variance[1] == 2 && abs(r.coverage[1] - 2.0 / 3) < 1e-12)  // pixels 2 and 4
        #expect(r.flux[2] == 7 && abs(r.variance[2] - 0.8) < 1e-12 && abs(r.coverage[2] - 5.0 / 7) < 1e-12)
        // Partial overlaps weight by the overlap: one bin [0.5, 1.5] takes half of pixels 0 and 1.
        let half = MaskedResampling.resample(inputEdges: edges, flux: flux, variance: [Double](repeating: 4, count: 10),
                                             good: [Bool](repeating: true, count: 10), outputEdges: [0.5, 1.5])
        #expect(half.flux[0] == 0.5 && half.variance[0] == 2)
    }

    @Test("rest-frame conversion of a flat f_λ: L_λ = 4π d_L² (1+z) f_λ / L☉, grid pixels beyond the data masked")
    func restFrame() throws {
        let z = 0.1, f = 2e-17
        let wavelength = stride(from: 4000.0, through: 9000, by: 1).map { $0 }
        let spectrum = ObservedSpectrum(id: "flat", wavelength: wavelength, medium: .air, flux: wavelength.map { _ in f },
                                        inverseVariance: wavelength.map { _ in 1 / (0.1 * f * 0.1 * f) },
                                        good: wavelength.map { _ in true }, redshift: z, source: "memory")
        let gridEdges = stride(from: 3000.0, through: 8000, by: 50).map { $0 }
        let out = try RestFrameConversion.convert(spectrum, edges: gridEdges, settings: IngestSettings())
        let distance = 460.2999363904721 * 3.085677581491367e24
        let expected = 4 * Double.pi * distance * distance * (1 + z) * f / 3.826e33
        for j in out.mask.indices {
            let centre = (gridEdges[j] + gridEdges[j + 1]) / 2
            let inside = gridEdges[j] >= 4000 / 1.1 && gridEdges[j + 1] <= 9000 / 1.1
            if inside {
                #expect(out.mask[j] == 1 && abs(out.luminosity[j] / expected - 1) < 1e-9, "\(centre) Å")
                // 50 Å rest = 55 observed 1 Å pixels of 10 % each: σ_L/L = 0.1/√55.
                #expect(abs(Double(out.sigma[j]) - 0.1 / 55.0.squareRoot() / M_LN10) < 1e-2 * Double(out.sigma[j]))
            } else if gridEdges[j + 1] < 3600 || gridEdges[j] > 8200 {
                #expect(out.mask[j] == 0 && out.logFlux[j].isNaN)
            }
        }
    }
}
