import DigsCore
import Dispatch
import Foundation
import SpectralSynthesis

/// The forward model θ → x = log10 L_λ (L☉/Å) on the instrument pixels, for batches.
///
/// Per galaxy: exact delayed-τ masses per age bin (`DelayedTauSFH`, `AgeBins`), metallicity weights
/// linear in log Z between the two bracketing grids (clamped at the grid ends), a weighted sum
/// of the precomputed instrument-resolution SSP rows (`SSPRows`, nebular light of
/// young populations included), per-pixel dust, log10, plus log M_formed.
public final class SpectrumSimulator: @unchecked Sendable {
    public let settings: ModelSettings
    public let library: SSPLibrary
    let rows: SSPRows
    /// Age bin edges and centres, yr (`AgeBins.standard`).
    public let ageEdges: [Double]
    public let ageCentres: [Double]
    let logMetallicity: [Double]
    let index: (mass: Int, age: Int, tau: Int, z: Int, dust: Int)

    /// Prepares the instrument-resolution SSP rows (one-time cost, ~1 s for BC03).
    public init(library: SSPLibrary, settings: ModelSettings) throws {
        let response = try InstrumentResponse(settings: settings.instrument, sspWavelengths: library.wavelength,
                                              source: library.source, attenuation: settings.dust)
        let bins = AgeBins.standard
        self.ageEdges = bins.edges
        self.ageCentres = bins.centres
        self.library = library
        self.settings = settings
        self.rows = try SSPRows(library: library, response: response, bins: bins, dust: settings.dust,
                                nebular: settings.nebular)
        self.logMetallicity = library.metallicity.map { log10($0) }
        let p = settings.parameters
        self.index = (p.index(of: .logMass), p.index(of: .tAge), p.index(of: .logTau), p.index(of: .logZ), p.index(of: .dust2))
        let oldest = AgeBins.universeAge
        guard 1e9 * p.entries[index.age].prior.high <= oldest else {
            throw DigsError.invalidInput(field: "model.parameters.t_age",
                                         problem: "prior reaches \(p.entries[index.age].prior.high) Gyr, beyond the oldest age bin (\(oldest / 1e9) Gyr)")
        }
    }

    /// Pixel centre wavelengths, Å.
    public var wavelength: [Double] { settings.instrument.pixelCentres }

    /// Per-galaxy quantities derived from the star-formation history.
    public struct Derived: Sendable {
        /// log10 of the mass in living stars today, M☉.
        public var logLivingMass: [Double]
        /// Mean age of the living stellar mass, Gyr.
        public var massWeightedAge: [Double]
        /// Mean age of the mass formed (SFR-weighted), Gyr.
        public var sfrWeightedAge: [Double]
    }

    /// Simulates x for every row of θ ([N, P], pipeline order); rows are split over
    /// `threads` workers (BLAS runs single-threaded inside each).
    public func simulate(_ theta: NDArray<Double>, threads: Int = 2) -> (logFlux: NDArray<Float>, derived: Derived) {
        let n = theta.shape[0], p = rows.pixels
        var flux = [Float](repeating: 0, count: n * p)
        var living = [Double](repeating: 0, count: n), mwa = living, swa = living
        let batch = 256
        let batches = (n + batch - 1) / batch
        flux.withUnsafeMutableBufferPointer { f in
            living.withUnsafeMutableBufferPointer { l in
                mwa.withUnsafeMutableBufferPointer { m in
                    swa.withUnsafeMutableBufferPointer { s in
                        let out = Outputs(flux: DisjointWrites(f), livingMass: DisjointWrites(l),
                                          massWeightedAge: DisjointWrites(m), sfrWeightedAge: DisjointWrites(s))
                        parallelChunks(batches, workers: threads) { _, b in
                            var scratch = Scratch(rows: rows)
                            simulateBatch(theta, (b * batch)..<min(n, (b + 1) * batch), &scratch, out)
                        }
                    }
                }
            }
        }
        let logFlux = try! NDArray(shape: [n, p], data: flux)  // n·p elements by construction
        return (logFlux, Derived(logLivingMass: living, massWeightedAge: mwa, sfrWeightedAge: swa))
    }

    /// The derived quantities alone (no spectrum): cheap, for every posterior sample.
    public func derived(_ theta: NDArray<Double>) -> Derived {
        let n = theta.shape[0], stride = theta.shape[1]
        var masses = [Double](repeating: 0, count: rows.ages)
        var out = Derived(logLivingMass: [], massWeightedAge: [], sfrWeightedAge: [])
        for g in 0..<n {
            let d = starFormation(theta.data[(g * stride)..<((g + 1) * stride)], masses: &masses) { _, _, _ in }
            out.logLivingMass.append(d.logLivingMass)
            out.massWeightedAge.append(d.massWeightedAge)
            out.sfrWeightedAge.append(d.sfrWeightedAge)
        }
        return out
    }

    /// The star-formation history of one θ row: fills `masses` with the fraction of the mass
    /// formed in each age bin, reports each (metallicity grid, age bin, mass fraction) weight
    /// of the SSP mix to `weight`, and returns the derived quantities.
    private func starFormation(_ t: ArraySlice<Double>, masses: inout [Double], weight: (Int, Int, Double) -> Void)
        -> (logLivingMass: Double, massWeightedAge: Double, sfrWeightedAge: Double) {
        let base = t.startIndex, na = rows.ages
        let sfh = DelayedTauSFH(age: t[base + index.age] * 1e9, tau: pow(10, t[base + index.tau]) * 1e9)
        sfh.binFractions(edges: ageEdges, into: &masses)
        let (zi, zw) = Interpolation.bracket(logMetallicity, t[base + index.z])
        var livingMass = 0.0, livingAge = 0.0
        for (z, w) in [(zi, 1 - zw), (zi + 1, zw)] where w > 0 {
            for a in 0..<na where masses[a] != 0 {
                let m = w * masses[a]
                weight(z, a, m)
                let alive = m * rows.livingMassFraction[z * na + a]
                livingMass += alive
                livingAge += alive * ageCentres[a]
            }
        }
        return (log10(livingMass) + t[base + index.mass], livingAge / livingMass / 1e9, sfh.sfrWeightedAge / 1e9)
    }

    struct Scratch {
        var accumulator: [Float]
        var masses: [Double]
        init(rows: SSPRows) {
            accumulator = [Float](repeating: 0, count: 2 * rows.pixels)
            masses = [Double](repeating: 0, count: rows.ages)
        }
    }

    struct Outputs: Sendable {
        let flux: DisjointWrites<Float>
        let livingMass, massWeightedAge, sfrWeightedAge: DisjointWrites<Double>
    }

    /// Each row on its own: the SSP mix is summed row by row in a fixed order (metallicity,
    /// then age bin), so a spectrum never depends on which rows share its batch, on threads,
    /// chunks or shards, or on a BLAS library's choice of kernel.
    private func simulateBatch(_ theta: NDArray<Double>, _ range: Range<Int>, _ s: inout Scratch, _ out: Outputs) {
        let na = rows.ages, p = rows.pixels, stride = theta.shape[1], width = 2 * p
        let beta = DustLaw.extinctionPerDust2
        rows.rows.withUnsafeBufferPointer { r in
            s.accumulator.withUnsafeMutableBufferPointer { acc in
                for g in range {
                    for i in 0..<width { acc[i] = 0 }
                    let t = theta.data[(g * stride)..<((g + 1) * stride)]
                    let d = starFormation(t, masses: &s.masses) { z, a, m in
                        let w = Float(m), row = r.baseAddress! + (z * na + a) * width
                        for i in 0..<width { acc[i] += w * row[i] }
                    }
                    out.livingMass[g] = d.logLivingMass
                    out.massWeightedAge[g] = d.massWeightedAge
                    out.sfrWeightedAge[g] = d.sfrWeightedAge
                    let q = beta * theta.data[g * stride + index.dust]
                    let logMass = theta.data[g * stride + index.mass]
                    for j in 0..<p {
                        let rj = rows.pixelAttenuation[j]
                        let f0 = Double(acc[j]), f1 = Double(acc[p + j])
                        let value = exp(-q * rj) * (f0 - q * (f1 - rj * f0))
                        out.flux[g * p + j] = Float(log10(value) + logMass)
                    }
                }
            }
        }
    }
}
