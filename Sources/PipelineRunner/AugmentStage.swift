import DigsCore
import ForwardModel
import Foundation
import ProductIO

/// Settings of `digs augment` (the noise and nuisances it draws are the pipeline's
/// `model.observation`).
public struct AugmentSettings: Settings {
    /// Noise realisations per noiseless spectrum (the paper: 200).
    public var realisations = 10

    public init() {}

    public func validate() throws {
        guard realisations >= 1 else {
            throw DigsError.invalidInput(field: "augment.realisations", problem: "must be at least 1 (is \(realisations))")
        }
    }
}

/// `digs augment`: K noise realisations of every noiseless spectrum of a `sed_set` →
/// `augmented_batches`, with θ exactly paired. Row i·K + k is spectrum i with noise stream
/// i·K + k, so any sharding of the sources gives the same rows. Streams by chunks of sources.
public enum AugmentStage {
    public static func run(reads: StageReads.Augment, sedPath: String, output: String, overwrite: Bool,
                           shard: Shard = .whole, threads: Int = 2, chunk: Int = 2048, log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let sed = try Product.open(sedPath, expecting: .sedSet)
        let flux = try sed.dataset("log_flux", dtype: .float32, rank: 2)
        let thetaSet = try sed.dataset("theta", dtype: .float64, rank: 2)
        let (total, p) = (flux.shape[0], flux.shape[1])
        let slice = shard.rows(of: total), n = slice.upperBound
        guard thetaSet.shape[0] == total else {
            throw DigsError.invalidProduct(path: sedPath, field: "theta", problem: "has \(thetaSet.shape[0]) rows, log_flux \(total)")
        }
        try reads.augment.validate()
        try reads.observation.validate(pixels: p)
        let (seed, observation) = (reads.seed, reads.observation)
        let names = try sed.parameterNames(of: thetaSet)
        let units = try thetaSet.attribute("units")?.stringsValue ?? []
        let wavelength: NDArray<Double> = try sed.dataset("wavelength").read()
        let k = reads.augment.realisations
        let nuisances = observation.nuisances.onGrid(wavelength: wavelength.data)
        let writer = try ProductWriter(path: output, kind: .augmentedBatches, seed: seed,
                                       config: StageReads.json(reads), inputs: [sed.asInput(role: "sed_set")],
                                       overwrite: overwrite)
        try writer.write("wavelength", wavelength, axes: ["pixel"], units: "Angstrom", description: "pixel wavelengths")
        let x = try writer.createDataset("x", dtype: .float32, shape: [0, p], axes: ["row", "pixel"],
                                         units: "log(solLum/Angstrom)", description: "noisy data vectors", extendable: true)
        let theta = try writer.createParameterDataset("theta", dtype: .float64, shape: [0, names.count],
                                                      axes: ["row", "parameter"], parameterNames: names,
                                                      parameterUnits: units, description: "parameters of each row",
                                                      extendable: true)
        // Heteroscedastic noise: σ and the mask of every row, which the flow takes as context.
        let heteroscedastic = observation.noise.isHeteroscedastic
        let sigmaSet = heteroscedastic ? try writer.createDataset("sigma", dtype: .float32, shape: [0, p], axes: ["row", "pixel"],
                                                                  units: "dex", description: "1-sigma noise of each row's x", extendable: true) : nil
        let maskSet = heteroscedastic ? try writer.createDataset("mask", dtype: .uint8, shape: [0, p], axes: ["row", "pixel"],
                                                                 units: "", description: "1 = pixel usable, 0 = masked", extendable: true) : nil
        let source = try writer.createDataset("source_index", dtype: .int64, shape: [0], axes: ["row"], units: "",
                                              description: "row of the noiseless spectrum in the sed_set", extendable: true)
        try writer.file.setAttribute("noise_model", .string(PipelineConfig.json(observation.noise)))
        try writer.file.setAttribute("realisations", .int(Int64(k)))
        try ForwardModelVersionRecord.write(try ForwardModelVersionRecord.read(sed), to: writer)
        try SFHFamilyRecord.write(try SFHFamilyRecord.read(sed), to: writer)
        try shard.record(in: writer, rows: (slice.lowerBound * k)..<(slice.upperBound * k), total: total * k)
        let streams = RandomStreams(seed: seed)
        var start = slice.lowerBound
        while start < n {
            let end = min(n, start + chunk), rows = end - start
            let clean: NDArray<Float> = try flux.readRows(start..<end)
            let t: NDArray<Double> = try thetaSet.readRows(start..<end)
            var noisy = [Float](repeating: 0, count: rows * k * p)
            var sigmas = [Float](repeating: 0, count: heteroscedastic ? rows * k * p : 1)
            var masks = [UInt8](repeating: 0, count: heteroscedastic ? rows * k * p : 1)
            var pairedTheta = [Double](), index = [Int64]()
            pairedTheta.reserveCapacity(rows * k * t.shape[1])
            let first = start
            noisy.withUnsafeMutableBufferPointer { buffer in
                sigmas.withUnsafeMutableBufferPointer { sigmaBuffer in
                    masks.withUnsafeMutableBufferPointer { maskBuffer in
                        let (out, outSigma, outMask) = (DisjointWrites(buffer), DisjointWrites(sigmaBuffer), DisjointWrites(maskBuffer))
                        parallelChunks(rows, workers: threads) { _, i in
                            var sigma = [Float](), mask = [UInt8]()
                            for r in 0..<k {
                                let row = (first + i) * k + r
                                var g = streams.generator(.noise, index: UInt64(row))
                                var v = clean.data[(i * p)..<((i + 1) * p)]
                                observation.noise.draw(x: &v, sigma: &sigma, mask: &mask, generator: &g)
                                nuisances.draw(x: &v, mask: &mask, generator: &g)
                                nuisances.inflate(&sigma)
                                for (j, value) in v.enumerated() { out[(i * k + r) * p + j] = value }
                                if heteroscedastic {
                                    for j in 0..<p {
                                        outSigma[(i * k + r) * p + j] = sigma[j]
                                        outMask[(i * k + r) * p + j] = mask[j]
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for i in 0..<rows {
                for _ in 0..<k {
                    pairedTheta += t.row(i)
                    index.append(Int64(start + i))
                }
            }
            try x.append(NDArray(shape: [rows * k, p], data: noisy))
            try sigmaSet?.append(NDArray(shape: [rows * k, p], data: sigmas))
            try maskSet?.append(NDArray(shape: [rows * k, p], data: masks))
            try theta.append(NDArray(shape: [rows * k, t.shape[1]], data: pairedTheta))
            try source.append(NDArray(shape: [rows * k], data: index))
            start = end
            log("augmented \(start - slice.lowerBound)/\(slice.count) spectra → \((start - slice.lowerBound) * k) rows")
        }
        try writer.commit()
    }
}
