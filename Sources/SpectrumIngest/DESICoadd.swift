import DigsCore
import FITSIO
import Foundation

/// A DESI coadd file (desidatamodel `coadd-SURVEY-PROGRAM-PIXNUM.fits`, or the tile-based
/// `coadd-SPECTROGRAPH-TILEID-GROUPID.fits`): many targets per file, HDU `FIBERMAP` with one row
/// per target (`TARGETID`, and `COADD_FIBERSTATUS`, 0 = good), and per camera `B_`, `R_`, `Z_`
/// (or `BRZ_` once combined) the images `WAVELENGTH` (vacuum Å), `FLUX` [target, pixel]
/// (10⁻¹⁷ erg s⁻¹ cm⁻² Å⁻¹), `IVAR` and `MASK` (0 = good). The cameras are combined by
/// `CameraCoaddition` once per file.
public struct DESICoadd: Sendable {
    /// f_λ unit of DESI spectra: 10⁻¹⁷ erg s⁻¹ cm⁻² Å⁻¹ (BUNIT `10**-17 erg/(s cm2 Angstrom)`).
    public static let fluxUnit = 1e-17
    /// Camera prefixes in the order DESI writes them.
    public static let cameraNames = ["B", "R", "Z", "BRZ"]

    public let path: String
    /// TARGETID of each row.
    public let targetIDs: [Int64]
    /// COADD_FIBERSTATUS of each row (nil when FIBERMAP has no such column).
    public let fiberStatus: [Int64]?
    public let coaddition: CameraCoaddition

    /// Whether an open FITS file looks like a DESI spectra/coadd file.
    public static func recognises(_ file: FITSFile) -> Bool {
        file.hasHDU(extname: "FIBERMAP") && cameraNames.contains { file.hasHDU(extname: "\($0)_FLUX") }
    }

    public init(file: FITSFile) throws {
        let path = file.path
        self.path = path
        do { try file.moveTo(extname: "FIBERMAP") } catch {
            throw DigsError.invalidProduct(path: path, field: "HDU FIBERMAP",
                                           problem: "is missing: not a DESI coadd file (FIBERMAP with TARGETID, then B_/R_/Z_ WAVELENGTH, FLUX, IVAR, MASK)")
        }
        guard file.hasColumn("TARGETID") else {
            throw DigsError.invalidProduct(path: path, field: "FIBERMAP column TARGETID", problem: "is missing (DESI data model)")
        }
        let targetIDs = try file.readInt64Column("TARGETID")
        self.targetIDs = targetIDs
        fiberStatus = file.hasColumn("COADD_FIBERSTATUS") ? try file.readInt64Column("COADD_FIBERSTATUS", null: 0) : nil
        var cameras = [CameraSpectra]()
        for name in Self.cameraNames where file.hasHDU(extname: "\(name)_FLUX") {
            func image(_ part: String, rank: Int) throws -> NDArray<Double> {
                let hdu = "\(name)_\(part)"
                do { try file.moveTo(extname: hdu) } catch {
                    throw DigsError.invalidProduct(path: path, field: "HDU \(hdu)", problem: "is missing (DESI data model: \(name)_WAVELENGTH, \(name)_FLUX, \(name)_IVAR, \(name)_MASK)")
                }
                let values = try file.readImage()
                guard values.shape.count == rank else {
                    throw DigsError.invalidProduct(path: path, field: "HDU \(hdu)", problem: "has \(values.shape.count) axes; expected \(rank)")
                }
                return values
            }
            let wavelength = try image("WAVELENGTH", rank: 1)
            let flux = try image("FLUX", rank: 2)
            if let unit = try file.stringKeyword("BUNIT"), !unit.replacingOccurrences(of: " ", with: "").hasPrefix("10**-17") {
                throw DigsError.invalidProduct(path: path, field: "\(name)_FLUX BUNIT", problem: "is '\(unit)'; expected 10**-17 erg/(s cm2 Angstrom)")
            }
            let ivar = try image("IVAR", rank: 2), mask = try image("MASK", rank: 2)
            let expected = [targetIDs.count, wavelength.shape[0]]
            for (part, values) in [("FLUX", flux), ("IVAR", ivar), ("MASK", mask)] where values.shape != expected {
                throw DigsError.invalidProduct(path: path, field: "HDU \(name)_\(part)",
                                               problem: "has shape \(values.shape); expected [\(targetIDs.count) targets, \(wavelength.shape[0]) pixels] from FIBERMAP and \(name)_WAVELENGTH")
            }
            cameras.append(CameraSpectra(name: name, wavelength: wavelength.data, flux: flux.data, inverseVariance: ivar.data, mask: mask.data))
        }
        coaddition = try CameraCoaddition(cameras: cameras, path: path)
    }

    /// The row of a TARGETID, or nil.
    public func row(of targetID: Int64) -> Int? { targetIDs.firstIndex(of: targetID) }

    /// Target `row` as an observed spectrum (cameras combined, vacuum wavelengths, erg s⁻¹ cm⁻² Å⁻¹).
    public func spectrum(row: Int, redshift: Double, id: String) -> ObservedSpectrum {
        let (flux, ivar, good) = coaddition.combine(row: row)
        return ObservedSpectrum(id: id, wavelength: coaddition.wavelength, medium: .vacuum, flux: flux.map { $0 * Self.fluxUnit },
                                inverseVariance: ivar.map { $0 / (Self.fluxUnit * Self.fluxUnit) }, good: good,
                                redshift: redshift, source: path)
    }
}

/// Redshifts of a DESI redrock file (`redrock-SURVEY-PROGRAM-PIXNUM.fits`, HDU `REDSHIFTS`; older
/// releases: `zbest-*.fits`, HDU `ZBEST`): `Z` and `ZWARN` (0 = no known problem) by TARGETID.
public struct RedrockRedshifts: Sendable {
    public let path: String
    public let redshifts: [Int64: (z: Double, zwarn: Int64)]

    /// The redrock file beside a coadd file: the same name with `coadd` replaced by `redrock`.
    public static func path(besideCoadd coadd: String) -> String {
        let folder = (coadd as NSString).deletingLastPathComponent, name = (coadd as NSString).lastPathComponent
        let partner = name.hasPrefix("coadd-") ? "redrock-" + name.dropFirst("coadd-".count) : "redrock-" + name
        return folder.isEmpty ? partner : folder + "/" + partner
    }

    public init(file: FITSFile) throws {
        let path = file.path
        self.path = path
        guard let hdu = ["REDSHIFTS", "ZBEST"].first(where: file.hasHDU(extname:)) else {
            throw DigsError.invalidProduct(path: path, field: "HDU REDSHIFTS", problem: "is missing: not a redrock file (REDSHIFTS with TARGETID, Z, ZWARN)")
        }
        try file.moveTo(extname: hdu)
        for column in ["TARGETID", "Z", "ZWARN"] where !file.hasColumn(column) {
            throw DigsError.invalidProduct(path: path, field: "\(hdu) column \(column)", problem: "is missing (redrock data model: TARGETID, Z, ZWARN)")
        }
        let ids = try file.readInt64Column("TARGETID"), z = try file.readColumn("Z"), zwarn = try file.readInt64Column("ZWARN", null: 0)
        var table = [Int64: (z: Double, zwarn: Int64)]()
        for k in ids.indices { table[ids[k]] = (z[k], zwarn[k]) }
        redshifts = table
    }
}
