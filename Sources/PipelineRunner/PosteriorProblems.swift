import DigsCore
import Diagnostics
import ProductIO

/// Each galaxy's quality flags in words, from a `posterior_samples` product: which parameter
/// sits at which prior edge, the predictive check's χ²/dof and p, the importance-sampling k̂
/// (`PosteriorFlags.describe`). The catalog's PROBLEM column and the report's list of real
/// targets with problems both read them here.
struct PosteriorProblems {
    let names: [String]
    let flags: HDF5Dataset
    let percentiles: HDF5Dataset
    let low: [Double], high: [Double]
    let ppc: (chi2: HDF5Dataset, dof: HDF5Dataset, pValue: HDF5Dataset)?
    let paretoK: HDF5Dataset?

    init(_ product: Product) throws {
        let file = product.file
        names = try file.attribute("parameter_names")?.stringsValue ?? []
        let d = names.count
        flags = try product.dataset("flags", dtype: .uint8, rank: 1)
        percentiles = try product.dataset("percentiles", dtype: .float64, rank: 3)
        let low = try file.attribute("prior_low")?.doublesValue ?? [], high = try file.attribute("prior_high")?.doublesValue ?? []
        self.low = low.count == d ? low : [Double](repeating: -.infinity, count: d)
        self.high = high.count == d ? high : [Double](repeating: .infinity, count: d)
        ppc = file.exists("ppc/chi2")
            ? (try product.dataset("ppc/chi2", dtype: .float64, rank: 1), try product.dataset("ppc/dof", rank: 1),
               try product.dataset("ppc/pvalue", dtype: .float64, rank: 1)) : nil
        paretoK = file.exists("importance/pareto_k") ? try product.dataset("importance/pareto_k", dtype: .float64, rank: 1) : nil
    }

    /// The words for the galaxies in `rows` ("" for a galaxy without flags).
    func texts(_ rows: Range<Int>) throws -> [String] {
        let d = names.count
        let f = try flags.readRows(rows, as: UInt8.self).data
        let p: [Double] = (try percentiles.readRows(rows) as NDArray<Double>).data
        let chi2 = try ppc?.chi2.readRows(rows, as: Double.self).data, dof = try ppc?.dof.readRows(rows, as: Int32.self).data
        let pValue = try ppc?.pValue.readRows(rows, as: Double.self).data, k = try paretoK?.readRows(rows, as: Double.self).data
        return (0..<rows.count).map { i in
            PosteriorFlags(rawValue: f[i]).describe(
                names: names, p50: Array(p[((i * 3 + 1) * d)..<((i * 3 + 2) * d)]), low: low, high: high,
                chi2: chi2?[i] ?? .nan, dof: Int(dof?[i] ?? 0), pValue: pValue?[i] ?? .nan, paretoK: k?[i] ?? .nan)
        }
    }
}
