import DigsCore

/// One camera's (spectrograph arm's) spectra of a file: a shared wavelength grid and, per
/// target, flux, inverse variance and mask, row-major [target, pixel].
public struct CameraSpectra: Sendable {
    /// Camera name (`B`, `R`, `Z`, or `BRZ` for a file already combined).
    public var name: String
    /// Pixel centres, Å, strictly increasing.
    public var wavelength: [Double]
    /// f_λ in the file's unit, [target × pixel].
    public var flux: [Double]
    /// Inverse variance of f_λ, [target × pixel]; 0 = no information.
    public var inverseVariance: [Double]
    /// Mask bits, [target × pixel]; 0 = good.
    public var mask: [Double]

    public init(name: String, wavelength: [Double], flux: [Double], inverseVariance: [Double], mask: [Double]) {
        (self.name, self.wavelength, self.flux, self.inverseVariance, self.mask) = (name, wavelength, flux, inverseVariance, mask)
    }
}

/// The cameras of a multi-arm spectrograph (DESI's B, R, Z) combined into one spectrum, as
/// desispec's `coadd_cameras` does: the union of the cameras' pixels, which must coincide where
/// the cameras overlap (DESI's arms share one 0.8 Å grid), and in the overlap the
/// inverse-variance weighted mean, f = Σ wᵢ fᵢ / Σ wᵢ with wᵢ = ivarᵢ for good pixels (mask 0)
/// and 0 otherwise, and ivar = Σ wᵢ. The pixel map is built once per file and serves every
/// target.
public struct CameraCoaddition: Sendable {
    /// Wavelengths of the combined spectrum, Å.
    public let wavelength: [Double]
    /// For each combined pixel, the (camera, pixel) pairs it combines.
    let members: [[(camera: Int, pixel: Int)]]
    let cameras: [CameraSpectra]

    /// Pixels of two cameras closer than this many Å are the same pixel.
    public static let tolerance = 1e-3

    public init(cameras: [CameraSpectra], path: String) throws {
        guard !cameras.isEmpty else {
            throw DigsError.invalidProduct(path: path, field: "cameras", problem: "none found (expected B_, R_, Z_ WAVELENGTH/FLUX/IVAR/MASK HDUs)")
        }
        for c in cameras {
            guard c.wavelength.count >= 2, zip(c.wavelength, c.wavelength.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw DigsError.invalidProduct(path: path, field: "\(c.name)_WAVELENGTH", problem: "must hold at least 2 strictly increasing wavelengths")
            }
        }
        let entries = cameras.enumerated().flatMap { c, camera in camera.wavelength.indices.map { (camera.wavelength[$0], c, $0) } }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var grid = [Double](), members = [[(camera: Int, pixel: Int)]]()
        for (lambda, c, i) in entries {
            if let last = grid.last, lambda - last < Self.tolerance, !members[members.count - 1].contains(where: { $0.camera == c }) {
                members[members.count - 1].append((c, i))
            } else {
                grid.append(lambda)
                members.append([(c, i)])
            }
        }
        // Where two cameras overlap every pixel must be shared: a lone pixel inside another
        // camera's range means the grids are not aligned, and a mean of them would be wrong.
        for (k, group) in members.enumerated() where group.count == 1 {
            let own = group[0].camera
            if let other = cameras.indices.first(where: { $0 != own && cameras[$0].wavelength.first! < grid[k] - Self.tolerance
                                                          && grid[k] + Self.tolerance < cameras[$0].wavelength.last! }) {
                throw DigsError.invalidProduct(path: path, field: "\(cameras[own].name)_WAVELENGTH",
                                               problem: "pixel at \(grid[k]) Å lies inside camera \(cameras[other].name)'s range but on none of its pixels: the cameras' grids are not aligned (DESI's share one grid; combine them with desispec's coadd_cameras first)")
            }
        }
        (wavelength, self.members, self.cameras) = (grid, members, cameras)
    }

    /// Target `row` combined: f_λ (file unit), ivar and whether each pixel has good data.
    public func combine(row: Int) -> (flux: [Double], inverseVariance: [Double], good: [Bool]) {
        var flux = [Double](repeating: 0, count: wavelength.count), ivar = flux, good = [Bool](repeating: false, count: wavelength.count)
        for (k, group) in members.enumerated() {
            var weight = 0.0, sum = 0.0
            for (c, i) in group {
                let camera = cameras[c], n = camera.wavelength.count
                let w = camera.inverseVariance[row * n + i], f = camera.flux[row * n + i]
                guard camera.mask[row * n + i] == 0, w > 0, w.isFinite, f.isFinite else { continue }
                weight += w
                sum += w * f
            }
            if weight > 0 { (flux[k], ivar[k], good[k]) = (sum / weight, weight, true) }
        }
        return (flux, ivar, good)
    }
}
