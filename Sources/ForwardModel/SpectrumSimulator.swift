import DigsCore
import Dispatch
import Foundation
import SpectralSynthesis

/// The forward model θ → x = log10 L_λ (L☉/Å) on the instrument pixels, for batches.
///
/// Per galaxy: exact masses per age bin from the model's star-formation history
/// (`StarFormationHistory`, over `AgeBins`), metallicity weights
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
    /// The model's star-formation history and the positions of its parameters in θ.
    public let history: any StarFormationHistory
    let sfhIndex: [Int]
    let index: (mass: Int, z: Int, dust: Int)
    /// The names and descriptions of the parameters and derived quantities.
    public let vocabulary: ParameterVocabulary
    /// The family's linear basis through the SSP rows, [metallicity][column][2P], when it has
    /// one (`StarFormationHistory.linearBasis`; empty otherwise), and its column count.
    let basisRows: [Float]
    let basisColumns: Int

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
        self.history = settings.history
        try history.validate(oldestAge: AgeBins.universeAge)
        try history.check(p, oldestAge: AgeBins.universeAge)
        self.sfhIndex = history.parameters.map { p.index(of: ModelParameter($0.name)) }
        self.index = (p.index(of: .logMass), p.index(of: .logZ), p.index(of: .dust2))
        self.vocabulary = settings.vocabulary
        let basis = history.linearBasis(edges: bins.edges)
        let sspRows = self.rows
        (basisRows, basisColumns) = basis.map { (SpectrumSimulator.basisRows($0, rows: sspRows), $0.count) } ?? ([], 0)
    }

    /// Σ_a column[a]·row(z, a) for every metallicity z and basis column, summed in Double.
    static func basisRows(_ basis: [[Double]], rows: SSPRows) -> [Float] {
        let na = rows.ages, width = 2 * rows.pixels, metallicities = rows.rows.count / (na * width)
        var out = [Float]()
        out.reserveCapacity(metallicities * basis.count * width)
        for z in 0..<metallicities {
            for column in basis {
                var sum = [Double](repeating: 0, count: width)
                for a in 0..<na where column[a] != 0 {
                    let base = (z * na + a) * width
                    for i in 0..<width { sum[i] += column[a] * Double(rows.rows[base + i]) }
                }
                out += sum.map(Float.init)
            }
        }
        return out
    }

    /// Pixel centre wavelengths, Å.
    public var wavelength: [Double] { settings.instrument.pixelCentres }

    /// Per-galaxy quantities derived from the star-formation history: one column per
    /// quantity of `vocabulary.derived`, in its order.
    public struct Derived: Sendable {
        /// [quantity][galaxy].
        public var columns: [[Double]]
        /// The column of the derived quantity `name` (its `vocabulary.derived` entry).
        let names: [String]

        public subscript(name: String) -> [Double]? { names.firstIndex(of: name).map { columns[$0] } }
        /// log10 of the mass in living stars today, M☉ (every family's).
        public var logLivingMass: [Double] { columns[0] }
        /// Mean age of the living stellar mass, Gyr (every family's).
        public var massWeightedAge: [Double] { columns[1] }
    }

    /// Simulates x for every row of θ ([N, P], pipeline order) with the derived quantities;
    /// rows are split over `threads` workers.
    public func simulate(_ theta: NDArray<Double>, threads: Int = 2) -> (logFlux: NDArray<Float>, derived: Derived) {
        simulate(theta, threads: threads, derived: true)
    }

    /// The spectra x alone ([N, P]): what the likelihood needs, without the derived quantities.
    public func spectra(_ theta: NDArray<Double>, threads: Int = 1) -> NDArray<Float> {
        simulate(theta, threads: threads, derived: false).logFlux
    }

    private func simulate(_ theta: NDArray<Double>, threads: Int, derived wanted: Bool) -> (logFlux: NDArray<Float>, derived: Derived) {
        let n = theta.shape[0], p = rows.pixels
        let q = wanted ? vocabulary.derived.count : 0
        var flux = [Float](repeating: 0, count: n * p)
        var derived = [Double](repeating: 0, count: q * n)  // [quantity][galaxy]
        let batch = 256
        let batches = (n + batch - 1) / batch
        flux.withUnsafeMutableBufferPointer { f in
            derived.withUnsafeMutableBufferPointer { d in
                let out = Outputs(flux: DisjointWrites(f), derived: q > 0 ? DisjointWrites(d) : nil, galaxies: n)
                parallelChunks(batches, workers: threads) { _, b in
                    var scratch = Scratch(rows: rows, sfhParameters: sfhIndex.count)
                    simulateBatch(theta, (b * batch)..<min(n, (b + 1) * batch), &scratch, out)
                }
            }
        }
        let logFlux = try! NDArray(shape: [n, p], data: flux)  // n·p elements by construction
        return (logFlux, derivedColumns((0..<q).map { Array(derived[($0 * n)..<(($0 + 1) * n)]) }))
    }

    func derivedColumns(_ columns: [[Double]]) -> Derived { Derived(columns: columns, names: vocabulary.derived.map(\.name)) }

    /// The lookback times (yr) at which `digs infer` records the star-formation history:
    /// 60, log-spaced from 1 Myr to the oldest SSP age.
    public static let sfhLookbacks: [Double] = (0..<60).map { 1e6 * pow(AgeBins.universeAge / 1e6, Double($0) / 59) }

    /// The SFR (M☉/yr) of one θ row (pipeline order) at each of `lookbacks` (yr).
    public func starFormationRates(_ t: ArraySlice<Double>, lookbacks: [Double]) -> [Double] {
        let own = sfhIndex.map { t[t.startIndex + $0] }, formed = pow(10, t[t.startIndex + index.mass])
        return history.starFormationRates(own, lookbacks: lookbacks).map { $0 * formed }
    }

    /// The derived quantities alone (no spectrum): cheap, for every posterior sample.
    public func derived(_ theta: NDArray<Double>) -> Derived {
        let n = theta.shape[0], stride = theta.shape[1]
        var scratch = Scratch(rows: rows, sfhParameters: sfhIndex.count)
        var columns = [[Double]](repeating: [], count: vocabulary.derived.count)
        for g in 0..<n {
            let d = starFormation(theta.data[(g * stride)..<((g + 1) * stride)], &scratch.sfhParameters, &scratch.masses, derived: true) { _, _, _ in }
            for k in columns.indices { columns[k].append(d[k]) }
        }
        return derivedColumns(columns)
    }

    /// The star-formation history of one θ row: fills the scratch's `masses` with the fraction
    /// of the mass formed in each age bin, reports each (metallicity grid, age bin, mass
    /// fraction) weight of the SSP mix to `weight`, and returns the derived quantities in
    /// `vocabulary.derived` order.
    private func starFormation(_ t: ArraySlice<Double>, _ sfhParameters: inout [Double], _ masses: inout [Double],
                               derived: Bool, weight: (Int, Int, Double) -> Void) -> [Double] {
        let base = t.startIndex, na = rows.ages
        gatherSFH(t, into: &sfhParameters)
        history.massFractions(sfhParameters, edges: ageEdges, into: &masses)
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
        guard derived else { return [] }
        let logMass = t[base + index.mass], logLiving = log10(livingMass) + logMass
        var recent = [0.0, 0.0]
        history.massFractions(sfhParameters, edges: [0, 1e8, AgeBins.universeAge], into: &recent)
        let logSFR = log10(recent[0] / 1e8) + logMass
        return [logLiving, livingAge / livingMass / 1e9, logSFR, logSFR - logLiving,
                history.lookbackTime(formedFraction: 0.5, sfhParameters) / 1e9,
                history.lookbackTime(formedFraction: 0.9, sfhParameters) / 1e9] + history.derivedValues(sfhParameters)
    }

    /// The SFH family's parameters of one θ row, in the family's order.
    private func gatherSFH(_ t: ArraySlice<Double>, into sfhParameters: inout [Double]) {
        for (k, j) in sfhIndex.enumerated() { sfhParameters[k] = t[t.startIndex + j] }
    }

    struct Scratch {
        var accumulator: [Float]
        var masses: [Double]
        /// The SFH family's parameters of the current row.
        var sfhParameters: [Double]
        init(rows: SSPRows, sfhParameters: Int) {
            accumulator = [Float](repeating: 0, count: 2 * rows.pixels)
            masses = [Double](repeating: 0, count: rows.ages)
            self.sfhParameters = [Double](repeating: 0, count: sfhParameters)
        }
    }

    struct Outputs: Sendable {
        let flux: DisjointWrites<Float>
        /// [quantity][galaxy] for `galaxies` galaxies; nil: spectra alone.
        let derived: DisjointWrites<Double>?
        let galaxies: Int
    }

    /// Each row on its own: the SSP mix is summed row by row in a fixed order (metallicity,
    /// then age bin), so a spectrum never depends on which rows share its batch, on threads,
    /// chunks or shards, or on a BLAS library's choice of kernel.
    private func simulateBatch(_ theta: NDArray<Double>, _ range: Range<Int>, _ s: inout Scratch, _ out: Outputs) {
        let na = rows.ages, p = rows.pixels, stride = theta.shape[1], width = 2 * p
        let beta = DustLaw.extinctionPerDust2
        let columns = basisColumns
        rows.rows.withUnsafeBufferPointer { r in
          basisRows.withUnsafeBufferPointer { b in
            s.accumulator.withUnsafeMutableBufferPointer { acc in
                for g in range {
                    for i in 0..<width { acc[i] = 0 }
                    let t = theta.data[(g * stride)..<((g + 1) * stride)]
                    var d = [Double]()
                    if columns > 0 {
                        // K precomputed rows per metallicity, weighted by the family's basis weights.
                        gatherSFH(t, into: &s.sfhParameters)
                        let weights = history.basisWeights(s.sfhParameters)
                        let (zi, zw) = Interpolation.bracket(logMetallicity, t[t.startIndex + index.z])
                        for (z, wz) in [(zi, 1 - zw), (zi + 1, zw)] where wz > 0 {
                            for k in 0..<columns where weights[k] != 0 {
                                let w = Float(wz * weights[k]), row = b.baseAddress! + (z * columns + k) * width
                                for i in 0..<width { acc[i] += w * row[i] }
                            }
                        }
                        if out.derived != nil { d = starFormation(t, &s.sfhParameters, &s.masses, derived: true) { _, _, _ in } }
                    } else {
                        d = starFormation(t, &s.sfhParameters, &s.masses, derived: out.derived != nil) { z, a, m in
                            let w = Float(m), row = r.baseAddress! + (z * na + a) * width
                            for i in 0..<width { acc[i] += w * row[i] }
                        }
                    }
                    if let derived = out.derived { for (k, value) in d.enumerated() { derived[k * out.galaxies + g] = value } }
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
}
