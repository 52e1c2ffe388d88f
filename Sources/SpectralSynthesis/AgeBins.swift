import Foundation

/// The age bins on which the forward model sums stellar populations: 0.1 dex wide, centred
/// on 10^6.0, 10^6.1, … 10^10.1 yr, edges at the logarithmic midpoints, the first edge at 0
/// and the last at 13.467 Gyr (the age of a flat ΛCDM universe with H₀ = 70, Ω_m = 0.3 at
/// z = 0). This is the binning of bagpipes (Carnall et al. 2018), which DIGS adopts so that
/// its spectra agree with that independent implementation to better than 1 %.
///
/// The SSP of a bin is the time-weighted mean of the library's SSPs over the bin (constant
/// star formation inside the bin): the flux-conserving average of the SSPs, each taken to
/// represent the ages between the midpoints to its neighbours.
public struct AgeBins: Sendable {
    /// Bin centres, yr.
    public let centres: [Double]
    /// Bin edges, yr (centres.count + 1).
    public let edges: [Double]

    /// The oldest edge, yr.
    public static let universeAge = 13.466983947e9

    public static let standard: AgeBins = {
        let logCentres = (0..<42).map { 6.0 + 0.1 * Double($0) }
        var edges = [0.0]
        for i in 0..<(logCentres.count - 1) { edges.append(pow(10, (logCentres[i] + logCentres[i + 1]) / 2)) }
        edges.append(universeAge)
        return AgeBins(centres: logCentres.map { pow(10, $0) }, edges: edges)
    }()

    public var count: Int { centres.count }

    /// The map from the library's ages to these bins: each library age stands for the ages
    /// between the midpoints to its neighbours (the first from 0, the last extrapolated by
    /// half a step), and a bin is the time-weighted average over what it overlaps.
    public func averaging(libraryAges: [Double]) -> SparseLinearMap {
        var libraryEdges = Rebinning.edges(centres: libraryAges)
        libraryEdges[0] = 0
        return Rebinning.averagingPiecewiseConstant(inputEdges: libraryEdges, onto: edges)
    }
}
