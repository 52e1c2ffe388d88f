import DigsCore
import ForwardModel
import Foundation
import ProductIO
import SpectralSynthesis

/// `digs simulate`: noiseless spectra x = log10 L_λ for every θ of a `theta_grid` → `sed_set`,
/// streamed in chunks (memory flat in N), with derived living mass and ages.
public enum SimulateStage {
    public static func run(model: ModelSettings, thetaPath: String, sspPath: String, output: String, overwrite: Bool,
                           shard: Shard = .whole, chunk: Int = 8192, threads: Int = 2, log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let thetaProduct = try Product.open(thetaPath, expecting: .thetaGrid)
        let thetaSet = try thetaProduct.dataset("theta", dtype: .float64, rank: 2)
        let names = try thetaProduct.parameterNames(of: thetaSet)
        guard names == model.parameters.names else {
            throw DigsError.invalidProduct(path: thetaPath, field: "theta parameter_names",
                                           problem: "are \(names), expected the pipeline's \(model.parameters.names)")
        }
        let total = thetaSet.shape[0], slice = shard.rows(of: total), n = slice.upperBound
        // Check every θ before writing anything: no partial product for bad input.
        var start = slice.lowerBound
        while start < n {
            let rows: NDArray<Double> = try thetaSet.readRows(start..<min(n, start + chunk))
            for r in 0..<rows.shape[0] { try model.parameters.check(rows.row(r), row: start + r, source: thetaPath) }
            start += chunk
        }
        let sspProduct = try Product.open(sspPath, expecting: .sspLibrary)
        log("preparing the SSP library at instrument resolution")
        let simulator = try SpectrumSimulator(library: try SSPLibrary(product: sspProduct), settings: model)
        let p = model.instrument.pixels
        let writer = try ProductWriter(path: output, kind: .sedSet, seed: thetaProduct.provenance.seed,
                                       config: PipelineConfig.json(model),
                                       inputs: [thetaProduct.asInput(role: "theta"), sspProduct.asInput(role: "ssp_library")],
                                       overwrite: overwrite)
        let wavelength = try writer.write("wavelength", NDArray(shape: [p], data: simulator.wavelength), axes: ["pixel"],
                                          units: "Angstrom", description: "rest-frame pixel centre wavelengths")
        try wavelength.setAttribute("medium", .string(simulator.library.medium))
        let flux = try writer.createDataset("log_flux", dtype: .float32, shape: [0, p], axes: ["galaxy", "pixel"],
                                            units: "log(solLum/Angstrom)", description: "log10 of the rest-frame L_lambda",
                                            extendable: true)
        let theta = try writer.createParameterDataset("theta", dtype: .float64, shape: [0, model.parameters.count],
                                                      axes: ["galaxy", "parameter"], parameterNames: model.parameters.names,
                                                      parameterUnits: model.parameters.units,
                                                      description: "parameters of each spectrum", extendable: true)
        let derivedSets = try simulator.vocabulary.derived.map {
            try writer.createDataset($0.name, dtype: .float64, shape: [0], axes: ["galaxy"], units: $0.units,
                                     description: $0.meaning, extendable: true)
        }
        let clock = ContinuousClock()
        let began = clock.now
        try shard.record(in: writer, rows: slice, total: total)
        try ForwardModelVersionRecord.write(ForwardModelVersion.current, to: writer)
        try SFHFamilyRecord.write(SFHFamilyRecord.name(of: model), to: writer)
        start = slice.lowerBound
        while start < n {
            let rows: NDArray<Double> = try thetaSet.readRows(start..<min(n, start + chunk))
            let result = simulator.simulate(rows, threads: threads)
            if let bad = result.logFlux.data.firstIndex(where: { !$0.isFinite }) {
                throw DigsError.invalidProduct(path: thetaPath, field: "theta[\(start + bad / p)]",
                                               problem: "gives a non-finite spectrum at pixel \(bad % p)")
            }
            try flux.append(result.logFlux)
            try theta.append(rows)
            for (set, v) in zip(derivedSets, result.derived.columns) { try set.append(NDArray(shape: [v.count], data: v)) }
            start += rows.shape[0]
                let seconds = (clock.now - began).seconds
            let done = start - slice.lowerBound
            log(String(format: "simulated %d/%d spectra (%.0f spectra/s)", done, slice.count, Double(done) / max(seconds, 1e-9)))
        }
        try writer.commit()
    }
}
