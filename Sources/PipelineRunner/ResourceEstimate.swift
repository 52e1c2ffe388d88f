import DigsCore
import Foundation
import NeuralFlows

/// What a pipeline's settings will need, estimated before anything runs, so that sizes that
/// cannot work (10⁹ noise draws, 10⁶ hidden units, 10⁹ walkers) are refused up front with the
/// estimate and the machine's limits instead of failing in an allocation or filling the disk
/// hours later. Estimates are the products' uncompressed sizes (compression only helps) and
/// the largest in-memory array of each stage.
struct ResourceEstimate {
    /// Bytes each stage writes, by stage.
    var disk: [(stage: String, bytes: Double)] = []
    /// The largest memory each stage needs, by stage.
    var memory: [(stage: String, bytes: Double)] = []

    init(_ c: PipelineConfig) {
        let d = Double(c.model.parameters.count), p = Double(c.model.instrument.pixels)
        let train = Double(c.samplePrior.train), test = Double(c.samplePrior.test), k = Double(c.augment.realisations)
        let heteroscedastic = c.model.observation.noise.isHeteroscedastic
        let pairs = train * k, context = heteroscedastic ? 3 * p : p
        disk.append(("sample-prior", (train + test) * d * 8))
        disk.append(("simulate", (train + test) * (p * 4 + d * 8 + 24)))
        disk.append(("augment", pairs * (p * 4 + d * 8 + 8 + (heteroscedastic ? p * 5 : 0))))
        let h = Double(c.train.hiddenFeatures), t = Double(c.train.numTransforms)
        let weights = Double((try? c.train.flowFamily())?.weightCount(c.train, features: Int(d), context: Int(context)) ?? 0)
        disk.append(("train", weights * 4 * 4 + context * 16))
        // Training holds every pair's context (float32) and θ, the weights with Adam's two moments
        // and their gradient per worker, and a batch of activations per transform.
        memory.append(("train", pairs * (context * 4 + d * 8) + weights * 4 * 6 + Double(c.train.batchSize) * t * h * 4 * 12))
        let s = Double(c.infer.samples)
        disk.append(("infer", test * (s * (d + 2) * 4 + 8 * p * 4 + 20 * d * 8)))
        memory.append(("infer", Double(c.infer.chunk) * s * (d + 2) * 8 * 4))
        let w = Double(c.mcmc.resolvedWalkers), steps = Double(c.mcmc.storedSteps)
        let galaxies = min(Double(c.mcmc.galaxies), test)
        disk.append(("mcmc", galaxies * (steps * w * (d + 1) * 4 + p * 4)))
        memory.append(("mcmc", 2 * (steps * w * (d + 1) * 4 + w * (2 * p + d) * 8)))
    }

    /// Refuses settings whose products would not fit on the output's file system or whose
    /// stages would not fit in this machine's memory.
    func check(output: String, stages: Set<String>? = nil) throws {
        let freeDisk = Self.freeBytes(near: output), ram = Double(ProcessInfo.processInfo.physicalMemory)
        let disk = self.disk.filter { stages?.contains($0.stage) ?? true }
        let memory = self.memory.filter { stages?.contains($0.stage) ?? true }
        guard !disk.isEmpty || !memory.isEmpty else { return }
        let totalDisk = disk.reduce(0) { $0 + $1.bytes }
        if let freeDisk, totalDisk > freeDisk {
            let worst = disk.max { $0.bytes < $1.bytes }!  // non-empty: totalDisk > 0
            throw DigsError.invalidInput(field: "pipeline sizes",
                                         problem: "the products would take about \(Self.format(totalDisk)) (\(worst.stage): \(Self.format(worst.bytes))) but \(output) has \(Self.format(freeDisk)) free; reduce \(Self.settings[worst.stage] ?? "the sizes")")
        }
        for (stage, bytes) in memory where bytes > 0.8 * ram {
            throw DigsError.invalidInput(field: "pipeline sizes",
                                         problem: "\(stage) would need about \(Self.format(bytes)) of memory, more than 80 % of this machine's \(Self.format(ram)); reduce \(Self.settings[stage] ?? "the sizes")")
        }
    }

    /// The settings that set each stage's size.
    static let settings = [
        "sample-prior": "sample_prior.train/test", "simulate": "sample_prior.train/test",
        "augment": "augment.realisations or sample_prior.train",
        "train": "train.hidden_features, train.num_transforms or the pairs (sample_prior.train × augment.realisations)",
        "infer": "infer.samples, infer.chunk or sample_prior.test", "mcmc": "mcmc.walkers, mcmc.production or mcmc.galaxies",
    ]

    static func freeBytes(near path: String) -> Double? {
        var folder = path
        while !FileManager.default.fileExists(atPath: folder) {
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { folder = "."; break }
            folder = parent
        }
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return nil }
        return Double(stats.f_bavail) * Double(stats.f_frsize)
    }

    static func format(_ bytes: Double) -> String {
        for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6)] where bytes >= size {
            return String(format: "%.1f %@", bytes / size, unit)
        }
        return String(format: "%.0f kB", bytes / 1e3)
    }
}
