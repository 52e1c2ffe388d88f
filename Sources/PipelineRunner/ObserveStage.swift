import DigsCore
import ForwardModel
import Foundation
import ProductIO

/// `digs observe`: noiseless test spectra (`sed_set`) → `observation_set`, one noise draw of
/// the pipeline's noise model per spectrum, its σ per pixel, every pixel usable, the truth kept.
/// The same draws `digs infer` makes when it is given the sed_set directly.
public enum ObserveStage {
    public static func run(reads: StageReads.Observe, sedPath: String, output: String, overwrite: Bool,
                           chunk: Int = 4096, log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let (seed, noise, nuisances) = (reads.seed, reads.observation.noise, reads.observation.nuisances)
        let source = try ObservationSource(path: sedPath, observation: reads.observation, seed: seed)
        guard source.isSimulated else {
            throw DigsError.wrongProductKind(path: sedPath, found: source.product.kind.rawValue, expected: "sed_set")
        }
        let (n, p) = (source.count, source.pixels)
        let writer = try ProductWriter(path: output, kind: .observationSet, seed: seed, config: StageReads.json(reads),
                                       inputs: [source.product.asInput(role: "sed_set")], overwrite: overwrite)
        try source.allIDs.write(to: writer)
        try writer.write("wavelength", NDArray(shape: [p], data: source.wavelength), axes: ["pixel"], units: "Angstrom",
                         description: "rest-frame pixel wavelengths")
        func extendable(_ name: String, _ dtype: HDF5DType, _ units: String, _ description: String) throws -> HDF5Dataset {
            try writer.createDataset(name, dtype: dtype, shape: [0, p], axes: ["galaxy", "pixel"], units: units,
                                     description: description, extendable: true)
        }
        let flux = try extendable("log_flux", .float32, "log(solLum/Angstrom)", "log10 of the rest-frame L_lambda")
        let sigma = try extendable("log_flux_sigma", .float32, "dex", "1-sigma uncertainty of log_flux")
        let mask = try extendable("mask", .uint8, "", "1 = pixel usable, 0 = masked")
        let names = source.parameterNames ?? [], units = source.parameterUnits ?? names.map { _ in "" }
        let theta = try writer.createParameterDataset("theta_true", dtype: .float64, shape: [0, names.count],
                                                      axes: ["galaxy", "parameter"], parameterNames: names,
                                                      parameterUnits: units, description: "true parameters", extendable: true)
        try writer.file.setAttribute("noise_model", .string(PipelineConfig.json(noise)))
        if !nuisances.isEmpty {
            try writer.file.setAttribute("observation_nuisances", .string(PipelineConfig.json(nuisances)))
        }
        try ForwardModelVersionRecord.write(try ForwardModelVersionRecord.read(source.product), to: writer)
        try SFHFamilyRecord.write(try SFHFamilyRecord.read(source.product), to: writer)
        var start = 0
        while start < n {
            let c = try source.read(start..<min(n, start + chunk), reported: true)
            try flux.append(NDArray(shape: [c.count, p], data: c.logFlux))
            try sigma.append(NDArray(shape: [c.count, p], data: c.sigma))
            try mask.append(NDArray(shape: [c.count, p], data: c.mask))
            try theta.append(NDArray(shape: [c.count, names.count], data: c.thetaTrue ?? []))
            start += c.count
            log("observed \(start)/\(n) spectra")
        }
        try writer.commit()
    }
}
