import DigsCore

/// What a product's values must mean, beyond its layout (`SchemaValidator` checks the layout):
/// run by `digs validate` on a product whose layout is valid. An observation set: masks are 0
/// or 1, wavelengths increase, every usable pixel has a finite flux and a finite σ > 0, ids are
/// unique. Read in blocks of rows, so memory stays flat.
public enum SemanticChecks {
    /// Each problem as "field: problem" (empty: none found).
    public static func problems(_ file: HDF5File, kind: ProductKind) throws -> [String] {
        switch kind {
        case .observationSet: return try observationSet(file)
        default: return []
        }
    }

    static func observationSet(_ file: HDF5File) throws -> [String] {
        var problems = [String]()
        let wavelength = try file.dataset("wavelength").read(as: Double.self).data
        if let i = wavelength.indices.dropFirst().first(where: { !(wavelength[$0] > wavelength[$0 - 1]) }) {
            problems.append("dataset 'wavelength': does not increase at pixel \(i) (\(wavelength[i - 1]) then \(wavelength[i]) Å)")
        }
        if let i = wavelength.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
            problems.append("dataset 'wavelength': pixel \(i) is \(wavelength[i]) Å; expected a finite wavelength > 0")
        }
        let flux = try file.dataset("log_flux"), sigma = try file.dataset("log_flux_sigma"), mask = try file.dataset("mask")
        let (n, p) = (flux.shape[0], flux.shape.count > 1 ? flux.shape[1] : 0)
        var (badMask, badFlux, badSigma): (String?, String?, String?) = (nil, nil, nil)
        var start = 0
        while start < n, badMask == nil || badFlux == nil || badSigma == nil {
            let end = min(n, start + 1024)
            let m = try mask.readRows(start..<end, as: UInt8.self).data
            let x = try flux.readRows(start..<end, as: Float.self).data
            let s = try sigma.readRows(start..<end, as: Float.self).data
            for k in m.indices {
                let (galaxy, pixel) = (start + k / max(p, 1), k % max(p, 1))
                if badMask == nil, m[k] > 1 { badMask = "is \(m[k]) for galaxy \(galaxy) at pixel \(pixel); expected 1 (usable) or 0 (masked)" }
                guard m[k] == 1 else { continue }
                if badFlux == nil, !x[k].isFinite { badFlux = "is \(x[k]) for galaxy \(galaxy) at pixel \(pixel), which the mask calls usable" }
                if badSigma == nil, !(s[k] > 0) || !s[k].isFinite {
                    badSigma = "is \(s[k]) dex for galaxy \(galaxy) at pixel \(pixel), which the mask calls usable; expected a finite σ > 0"
                }
            }
            start = end
        }
        problems += [("mask", badMask), ("log_flux", badFlux), ("log_flux_sigma", badSigma)].compactMap { name, problem in
            problem.map { "dataset '\(name)': \($0)" }
        }
        let ids = try file.dataset("ids")
        let texts = ids.dtype == .string ? try ids.readStrings() : try ids.read(as: Int64.self).data.map(String.init)
        var seen = [String: Int]()
        for (i, id) in texts.enumerated() {
            if let first = seen[id] {
                problems.append("dataset 'ids': '\(id)' is the id of galaxies \(first) and \(i); ids must be unique")
                break
            }
            seen[id] = i
        }
        return problems
    }
}
