import DigsCore
import ForwardModel
import ProductIO

/// `digs sample-prior`: N parameter vectors drawn from the pipeline's priors → `theta_grid`.
public enum SamplePriorStage {
    /// Which set the draws are for; each has its own random streams.
    public enum Set: String, CaseIterable, Sendable {
        case train, test
        /// Row i of a set draws from prior stream `firstStream + i`: train and test never share draws.
        var firstStream: Int { self == .train ? 0 : 1 << 40 }
    }

    public static func run(priors: PriorSet, count: Int, set: Set, seed: UInt64, output: String, overwrite: Bool) throws {
        guard count > 0 else { throw DigsError.invalidInput(field: "count", problem: "must be positive, got \(count)") }
        let streams = RandomStreams(seed: seed)
        let writer = try ProductWriter(path: output, kind: .thetaGrid, seed: seed,
                                       config: PipelineConfig.json(["set": set.rawValue, "count": "\(count)",
                                                                    "priors": PipelineConfig.json(priors)]),
                                       overwrite: overwrite)
        let chunk = 65_536
        let d = try writer.createParameterDataset("theta", dtype: .float64, shape: [0, priors.count],
                                                  axes: ["galaxy", "parameter"], parameterNames: priors.names,
                                                  parameterUnits: priors.units,
                                                  description: "parameter vectors drawn from the prior", extendable: true)
        var start = 0
        while start < count {
            let end = min(count, start + chunk)
            try d.append(priors.sample(rows: (set.firstStream + start)..<(set.firstStream + end), streams: streams))
            start = end
        }
        try writer.file.setAttribute("prior", .string(PipelineConfig.json(priors)))
        try writer.commit()
    }

    /// Writes the parameter vectors of a CSV table (see `ThetaTable`) as a `theta_grid`.
    public static func run(priors: PriorSet, table: String, output: String, overwrite: Bool) throws {
        let theta = try ThetaTable.read(path: table, priors: priors)
        let writer = try ProductWriter(path: output, kind: .thetaGrid, seed: 0,
                                       config: PipelineConfig.json(["table": table, "priors": PipelineConfig.json(priors)]),
                                       overwrite: overwrite)
        try writer.writeParameterArray("theta", theta, axes: ["galaxy", "parameter"], parameterNames: priors.names,
                                       parameterUnits: priors.units, description: "parameter vectors from \(table)")
        try writer.file.setAttribute("prior", .string(PipelineConfig.json(priors)))
        try writer.commit()
    }
}
