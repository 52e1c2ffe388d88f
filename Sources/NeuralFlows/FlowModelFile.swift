import DigsCore
import Foundation
import ProductIO

/// The `flow_model` product: a self-contained trained flow (every weight and mask by name,
/// the permutations, the standardisation constants, the training curve) plus the optimiser
/// state needed to resume training.
public enum FlowModelFile {
    /// Named views of the flat parameter vector: (dataset name, offset, shape).
    static func blocks(_ a: MAFArchitecture) -> [(String, Int, [Int])] {
        let l = a.layout, d = a.features, h = a.hidden, o = a.outputsPerFeature
        var out: [(String, Int, [Int])] = [
            ("weights/context_weight", l.contextWeights, [a.transforms * h, a.contextFeatures]),
            ("weights/context_bias", l.contextBias, [a.transforms * h]),
        ]
        for k in 0..<a.transforms {
            let b = l.base(k), t = String(format: "weights/transform_%02d/", k)
            out += [
                (t + "input_weight", b + l.inWeights, [h, d]),
                (t + "input_bias", b + l.inBias, [h]),
                (t + "hidden1_weight", b + l.hidden1Weights, [h, h]),
                (t + "hidden1_bias", b + l.hidden1Bias, [h]),
                (t + "hidden2_weight", b + l.hidden2Weights, [h, h]),
                (t + "hidden2_bias", b + l.hidden2Bias, [h]),
                (t + "output_weight", b + l.outWeights, [o * d, h]),
                (t + "output_bias", b + l.outBias, [o * d]),
            ]
        }
        var width = a.context
        for (i, e) in a.embedding.enumerated() {
            let t = String(format: "weights/embedding_%02d_", i)
            out += [(t + "weight", l.embeddingWeights[i], [e, width]), (t + "bias", l.embeddingBias[i], [e])]
            width = e
        }
        return out
    }

    /// Writes the flow (with `posterior.network.parameters` as the stored weights), plus the
    /// caller's `rootAttributes` (e.g. the forward-model version of its training data).
    public static func write(_ posterior: AutoregressiveFlow, state: TrainerState?, settings: TrainingSettings,
                             path: String, seed: UInt64, config: String, inputs: [ProductInput],
                             parameterUnits: [String], wavelength: [Double], rootAttributes: [String: AttributeValue] = [:],
                             overwrite: Bool) throws {
        let a = posterior.architecture, net = posterior.network
        let w = try ProductWriter(path: path, kind: .flowModel, seed: seed, config: config, inputs: inputs, overwrite: overwrite)
        for (name, offset, shape) in blocks(a) {
            let n = shape.reduce(1, *)
            try w.write(name, NDArray(shape: shape, data: Array(net.parameters[offset..<(offset + n)])),
                        axes: shape.count == 2 ? ["out", "in"] : ["out"], units: "", description: "flow weights (network coordinates)")
        }
        let masks = MADEMasks(features: a.features, hidden: a.hidden, multiplier: a.outputsPerFeature)
        try w.write("masks/input", NDArray(shape: [a.hidden, a.features], data: masks.input), axes: ["out", "in"], units: "",
                    description: "MADE mask of the input layer (1 = connection)")
        try w.write("masks/hidden", NDArray(shape: [a.hidden, a.hidden], data: masks.hiddenToHidden), axes: ["out", "in"],
                    units: "", description: "MADE mask of both hidden layers")
        try w.write("masks/output", NDArray(shape: [a.outputsPerFeature * a.features, a.hidden], data: masks.output), axes: ["out", "in"],
                    units: "", description: a.splineBins == 0 ? "MADE mask of the output layer (rows 2i: scale, 2i+1: shift of feature i)"
                        : "MADE mask of the output layer (rows (3K-1)i...: K widths, K heights, K-1 derivatives of feature i's spline)")
        try w.write("permutations", NDArray(shape: [a.transforms, a.features], data: net.permutations.flatMap { $0.map(Int64.init) }),
                    axes: ["transform", "parameter"], units: "", description: "the permutation after each transform")
        let s = posterior.standardization
        let names = posterior.parameterNames
        try w.write("transforms/wavelength", NDArray(shape: [wavelength.count], data: wavelength), axes: ["pixel"],
                    units: "Angstrom", description: "wavelength of each pixel of x the flow was trained on")
        try w.write("transforms/x_mean", NDArray(shape: [a.context], data: s.xMean), axes: ["context"],
                    units: "log(solLum/Angstrom)", description: "mean of x over the training set")
        try w.write("transforms/x_std", NDArray(shape: [a.context], data: s.xStd), axes: ["context"],
                    units: "log(solLum/Angstrom)", description: "standard deviation of x over the training set")
        try w.writeParameterArray("transforms/prior_low", NDArray(shape: [a.features], data: s.low),
                                  axes: ["parameter"], parameterNames: names, parameterUnits: parameterUnits,
                                  description: "lower prior bound (logit transform)")
        try w.writeParameterArray("transforms/prior_high", NDArray(shape: [a.features], data: s.high),
                                  axes: ["parameter"], parameterNames: names, parameterUnits: parameterUnits,
                                  description: "upper prior bound (logit transform)")
        try w.write("transforms/z_mean", NDArray(shape: [a.features], data: s.thetaMean), axes: ["parameter"], units: "",
                    description: "mean of logit(theta) (probit with theta_transform probit) over the training set")
        try w.write("transforms/z_std", NDArray(shape: [a.features], data: s.thetaStd), axes: ["parameter"], units: "",
                    description: "standard deviation of logit(theta) (probit with theta_transform probit) over the training set")
        let trainLoss = state?.trainLoss ?? [], valLoss = state?.validationLoss ?? []
        try w.write("training/train_loss", NDArray(shape: [trainLoss.count], data: trainLoss), axes: ["epoch"], units: "",
                    description: "mean negative log-probability per training pair, per epoch")
        try w.write("training/val_loss", NDArray(shape: [valLoss.count], data: valLoss), axes: ["epoch"], units: "",
                    description: "mean negative log-probability per validation pair, per epoch")
        if let state {
            let n = state.parameters.count
            try w.write("state/parameters", NDArray(shape: [n], data: state.parameters), axes: ["weight"], units: "",
                        description: "weights after the last epoch (for resuming)")
            try w.write("state/adam_m", NDArray(shape: [n], data: state.adam.m), axes: ["weight"], units: "",
                        description: "Adam first moments")
            try w.write("state/adam_v", NDArray(shape: [n], data: state.adam.v), axes: ["weight"], units: "",
                        description: "Adam second moments")
            try w.file.setAttribute("adam_step", .int(Int64(state.adam.step)))
            try w.file.setAttribute("epochs_since_improvement", .int(Int64(state.epochsSinceImprovement)))
            try w.file.setAttribute("best_validation_loss", .double(state.bestValidationLoss))
        }
        for (name, value) in rootAttributes.sorted(by: { $0.key < $1.key }) { try w.file.setAttribute(name, value) }
        try w.file.setAttribute("architecture", .string(posterior.family))
        if a.splineBins > 0 {
            try w.file.setAttribute("spline_bins", .int(Int64(a.splineBins)))
            try w.file.setAttribute("spline_tail_bound", .double(a.splineTailBound))
        }
        try w.file.setAttribute("context_layout", .string(posterior.contextLayout.rawValue))
        try w.file.setAttribute("hidden_features", .int(Int64(a.hidden)))
        try w.file.setAttribute("num_transforms", .int(Int64(a.transforms)))
        if posterior.standardization.thetaTransform != .logit {
            try w.file.setAttribute("theta_transform", .string(posterior.standardization.thetaTransform.rawValue))
        }
        if posterior.standardization.contextTransform != .pixels {
            try w.file.setAttribute("context_transform", .string(posterior.standardization.contextTransform.rawValue))
        }
        if !a.embedding.isEmpty {
            try w.file.setAttribute("embedding_features", .ints(a.embedding.map(Int64.init)))
        }
        try w.file.setAttribute("parameter_names", .strings(names))
        try w.file.setAttribute("parameter_units", .strings(parameterUnits))
        try w.file.setAttribute("training_settings", .string(String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)))
        try w.file.setAttribute("training_finished", .int(state?.finished == false ? 0 : 1))
        try w.file.setAttribute("best_epoch", .int(Int64(state?.bestEpoch ?? 0)))
        try w.commit()
    }

    /// The root attribute naming the parameter the flow does not learn, drawn at inference
    /// from its exact conditional posterior (`log_mass`, with `train.analytic_mass`).
    public static let analyticParameterAttribute = "analytic_parameter"

    /// The MAF's name in the `architecture` attribute.
    public static let mafFamily = "maf"
    /// The autoregressive neural spline flow's (rational-quadratic spline transforms).
    public static let nsfFamily = "nsf"

    /// The reader of each flow family this build knows, by its `architecture` attribute.
    static let families: [String: @Sendable (Product) throws -> any PosteriorFlow] = [mafFamily: readMAF, nsfFamily: readMAF]

    /// A loaded flow: the posterior with its stored (best) weights, and the training state when present.
    public struct Loaded {
        public let posterior: any PosteriorFlow
        /// The posterior as a MAF (what training resumes), when it is one.
        public var maf: AutoregressiveFlow? { posterior as? AutoregressiveFlow }
        public let state: TrainerState?
        public let parameterUnits: [String]
        /// The parameter of θ the flow does not learn (nil: it learns them all): inference draws
        /// it from its exact conditional given the others (`train.analytic_mass`).
        public let analyticParameter: String?
        /// Pixel wavelengths of the x the flow was trained on, Å.
        public let wavelength: [Double]
        public let product: Product
    }

    public static func read(path: String) throws -> Loaded {
        let product = try Product.open(path, expecting: .flowModel)
        let file = product.file
        let family = try file.attribute("architecture")?.stringValue ?? ""
        guard let reader = families[family] else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'architecture'",
                                           problem: "is '\(family)'; this build of DIGS reads \(families.keys.sorted().joined(separator: ", "))")
        }
        let posterior = try reader(product)
        func doubles(_ name: String) throws -> [Double] { try product.dataset(name, rank: 1).read(as: Double.self).data }
        var state: TrainerState?
        if let maf = posterior as? AutoregressiveFlow, file.exists("state/parameters") {
            let current: NDArray<Float> = try product.dataset("state/parameters").read()
            state = TrainerState(
                parameters: current.data,
                adam: AdamState(m: try product.dataset("state/adam_m").read(as: Float.self).data,
                                v: try product.dataset("state/adam_v").read(as: Float.self).data, step: try int(file, "adam_step", path)),
                bestParameters: maf.network.parameters,
                bestValidationLoss: try file.attribute("best_validation_loss")?.doublesValue?.first ?? .infinity,
                bestEpoch: try int(file, "best_epoch", path), epochsSinceImprovement: try int(file, "epochs_since_improvement", path),
                trainLoss: try doubles("training/train_loss"), validationLoss: try doubles("training/val_loss"),
                finished: try int(file, "training_finished", path) == 1)
        }
        let names = posterior.parameterNames
        return Loaded(posterior: posterior, state: state,
                      parameterUnits: try file.attribute("parameter_units")?.stringsValue ?? names.map { _ in "" },
                      analyticParameter: try file.attribute(analyticParameterAttribute)?.stringValue,
                      wavelength: try doubles("transforms/wavelength"), product: product)
    }

    /// An integer root attribute.
    static func int(_ file: HDF5File, _ name: String, _ path: String) throws -> Int {
        guard let v = try file.attribute(name)?.intValue else {
            throw DigsError.invalidProduct(path: path, field: "root attribute '\(name)'", problem: "is missing or not an integer")
        }
        return Int(v)
    }

    /// The MAF of a `flow_model` product (family `maf`, or `nsf` with the attributes `spline_bins`
    /// and `spline_tail_bound`), with its stored (best) weights.
    static func readMAF(_ product: Product) throws -> any PosteriorFlow {
        let (file, path) = (product.file, product.path)
        func int(_ name: String) throws -> Int { try FlowModelFile.int(file, name, path) }
        func doubles(_ name: String) throws -> [Double] { try product.dataset(name, rank: 1).read(as: Double.self).data }
        let names = try file.attribute("parameter_names")?.stringsValue ?? []
        let xMean = try doubles("transforms/x_mean")
        var embedding: [Int] = []
        if let value = try file.attribute("embedding_features") {
            guard let widths = value.intsValue, widths.count <= 16, widths.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else {
                throw DigsError.invalidProduct(path: path, field: "root attribute 'embedding_features'",
                                               problem: "is not a list of at most 16 layer widths of 1 … 2²⁰")
            }
            embedding = widths.map { Int($0) }
        }
        var bins = 0, tailBound = 3.0
        if try file.attribute("architecture")?.stringValue == nsfFamily {
            bins = try int("spline_bins")
            guard bins >= 2 else {
                throw DigsError.invalidProduct(path: path, field: "root attribute 'spline_bins'", problem: "is \(bins); a spline needs at least 2 bins")
            }
            guard let b = try file.attribute("spline_tail_bound")?.doublesValue?.first, b > 0, b.isFinite else {
                throw DigsError.invalidProduct(path: path, field: "root attribute 'spline_tail_bound'",
                                               problem: "is missing or not a positive number")
            }
            tailBound = b
        }
        // The sizes the root attributes declare (outside the content digest) must be those of the
        // stored weights, checked before anything of their size is allocated.
        let hidden = try int("hidden_features"), transforms = try int("num_transforms")
        func transformBlock(_ k: Int) -> String { String(format: "weights/transform_%02d/input_weight", k) }
        let storedHidden = try product.dataset(transformBlock(0), dtype: .float32, rank: 2).shape[0]
        guard hidden == storedHidden else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'hidden_features'",
                                           problem: "is \(hidden); the stored weights have \(storedHidden) hidden units")
        }
        guard transforms >= 1, transforms <= 10_000, file.exists(transformBlock(transforms - 1)), !file.exists(transformBlock(transforms)) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'num_transforms'",
                                           problem: "is \(transforms); it must be the number of stored transforms (weights/transform_00 …)")
        }
        guard !names.isEmpty, names.count <= 1000 else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'parameter_names'", problem: "lists \(names.count) parameters")
        }
        let a = MAFArchitecture(features: names.count, context: xMean.count, hidden: hidden,
                                transforms: transforms, embedding: embedding, splineBins: bins, splineTailBound: tailBound)
        let stored = try blocks(a).map { block -> (String, Int, [Int], HDF5Dataset) in
            let dataset = try product.dataset(block.0, dtype: .float32)
            guard dataset.shape == block.2 else {
                throw DigsError.invalidProduct(path: path, field: "dataset '\(block.0)'", problem: "has shape \(dataset.shape), expected \(block.2)")
            }
            return (block.0, block.1, block.2, dataset)
        }
        var parameters = [Float](repeating: 0, count: a.layout.total)
        for (name, offset, _, dataset) in stored {
            let block: NDArray<Float> = try dataset.read()
            if let bad = block.data.firstIndex(where: { !$0.isFinite }) {
                throw DigsError.invalidProduct(path: path, field: "dataset '\(name)'", problem: "holds \(block.data[bad]) at element \(bad); a flow's weights are finite")
            }
            for (i, v) in block.data.enumerated() { parameters[offset + i] = v }
        }
        let perms: NDArray<Int64> = try product.dataset("permutations", rank: 2).read()
        guard perms.shape == [a.transforms, a.features],
              (0..<a.transforms).allSatisfy({ k in Set(perms.data[(k * a.features)..<((k + 1) * a.features)]) == Set((0..<Int64(a.features))) }) else {
            throw DigsError.invalidProduct(path: path, field: "dataset 'permutations'",
                                           problem: "has shape \(perms.shape); expected [\(a.transforms), \(a.features)] rows, each a permutation of 0…\(a.features - 1)")
        }
        let permutations = (0..<a.transforms).map { k in (0..<a.features).map { Int(perms.data[k * a.features + $0]) } }
        let network = try MAFNetwork<Float>(architecture: a, parameters: parameters, permutations: permutations)
        let layoutName = try file.attribute("context_layout")?.stringValue ?? ContextLayout.flux.rawValue
        guard let layout = ContextLayout(rawValue: layoutName) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'context_layout'",
                                           problem: "is '\(layoutName)'; expected one of \(ContextLayout.allCases.map(\.rawValue))")
        }
        let transformName = try file.attribute("context_transform")?.stringValue ?? ContextTransform.pixels.rawValue
        guard let transform = ContextTransform(rawValue: transformName) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'context_transform'",
                                           problem: "is '\(transformName)'; expected one of \(ContextTransform.allCases.map(\.rawValue))")
        }
        let thetaName = try file.attribute("theta_transform")?.stringValue ?? ThetaTransform.logit.rawValue
        guard let thetaTransform = ThetaTransform(rawValue: thetaName) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'theta_transform'",
                                           problem: "is '\(thetaName)'; expected one of \(ThetaTransform.allCases.map(\.rawValue))")
        }
        // The standardisation maps every draw and every context: a NaN or a zero scale there
        // turns every posterior into NaN (exit 0, flag 0, before this check).
        var values = [String: [Double]]()
        for name in ["prior_low", "prior_high", "z_mean", "z_std", "x_std"] { values[name] = try doubles("transforms/" + name) }
        values["x_mean"] = xMean
        for (name, v) in values.sorted(by: { $0.key < $1.key }) {
            let expected = name.hasPrefix("x_") ? xMean.count : names.count
            guard v.count == expected else {
                throw DigsError.invalidProduct(path: path, field: "dataset 'transforms/\(name)'", problem: "has \(v.count) values, expected \(expected)")
            }
            let positive = name.hasSuffix("_std")
            if let bad = v.firstIndex(where: { !$0.isFinite || (positive && !($0 > 0)) }) {
                throw DigsError.invalidProduct(path: path, field: "dataset 'transforms/\(name)'",
                                               problem: "holds \(v[bad]) at element \(bad); expected a finite\(positive ? ", positive scale" : " value")")
            }
        }
        let (low, high) = (values["prior_low"]!, values["prior_high"]!)
        if let bad = low.indices.first(where: { !(low[$0] < high[$0]) }) {
            throw DigsError.invalidProduct(path: path, field: "dataset 'transforms/prior_low'",
                                           problem: "is not below transforms/prior_high for parameter \(bad)")
        }
        let s = Standardization(low: low, high: high,
                                thetaMean: values["z_mean"]!, thetaStd: values["z_std"]!,
                                xMean: xMean, xStd: values["x_std"]!, contextTransform: transform, layout: layout,
                                thetaTransform: thetaTransform)
        return try AutoregressiveFlow(network: network, standardization: s, parameterNames: names, contextLayout: layout)
    }
}
