import DigsCore
import Foundation
import ProductIO

/// The `flow_model` product: a self-contained trained flow (every weight and mask by name,
/// the permutations, the standardisation constants, the training curve) plus the optimiser
/// state needed to resume training.
public enum FlowModelFile {
    /// Writes the flow (its network with the weights it holds), the training curve and state,
    /// plus the caller's `rootAttributes` (e.g. the forward-model version of its training data).
    public static func write(_ posterior: any TrainedFlow, state: TrainerState?, settings: TrainingSettings,
                             path: String, seed: UInt64, config: String, inputs: [ProductInput],
                             parameterUnits: [String], wavelength: [Double], rootAttributes: [String: AttributeValue] = [:],
                             overwrite: Bool) throws {
        let w = try ProductWriter(path: path, kind: .flowModel, seed: seed, config: config, inputs: inputs, overwrite: overwrite)
        try posterior.writeNetwork(to: w)
        let features = posterior.parameterNames.count, context = posterior.standardization.xMean.count
        let s = posterior.standardization
        let names = posterior.parameterNames
        try w.write("transforms/wavelength", NDArray(shape: [wavelength.count], data: wavelength), axes: ["pixel"],
                    units: "Angstrom", description: "wavelength of each pixel of x the flow was trained on")
        try w.write("transforms/x_mean", NDArray(shape: [context], data: s.xMean), axes: ["context"],
                    units: "log(solLum/Angstrom)", description: "mean of x over the training set")
        try w.write("transforms/x_std", NDArray(shape: [context], data: s.xStd), axes: ["context"],
                    units: "log(solLum/Angstrom)", description: "standard deviation of x over the training set")
        try w.writeParameterArray("transforms/prior_low", NDArray(shape: [features], data: s.low),
                                  axes: ["parameter"], parameterNames: names, parameterUnits: parameterUnits,
                                  description: "lower prior bound (logit transform)")
        try w.writeParameterArray("transforms/prior_high", NDArray(shape: [features], data: s.high),
                                  axes: ["parameter"], parameterNames: names, parameterUnits: parameterUnits,
                                  description: "upper prior bound (logit transform)")
        try w.write("transforms/z_mean", NDArray(shape: [features], data: s.thetaMean), axes: ["parameter"], units: "",
                    description: "mean of logit(theta) (probit with theta_transform probit) over the training set")
        try w.write("transforms/z_std", NDArray(shape: [features], data: s.thetaStd), axes: ["parameter"], units: "",
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
        try w.file.setAttribute("context_layout", .string(posterior.contextLayout.rawValue))
        if posterior.standardization.thetaTransform != .logit {
            try w.file.setAttribute("theta_transform", .string(posterior.standardization.thetaTransform.rawValue))
        }
        if posterior.standardization.contextTransform != .pixels {
            try w.file.setAttribute("context_transform", .string(posterior.standardization.contextTransform.rawValue))
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

    /// A loaded flow: the posterior with its stored (best) weights, and the training state when present.
    public struct Loaded {
        public let posterior: any TrainedFlow
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
        guard let reader = FlowFamilies.named(family) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'architecture'",
                                           problem: "is '\(family)'; this build of DIGS reads the flow families \(FlowFamilies.names)")
        }
        let posterior = try reader.read(product)
        func doubles(_ name: String) throws -> [Double] { try product.dataset(name, rank: 1).read(as: Double.self).data }
        var state: TrainerState?
        if file.exists("state/parameters") {
            let current: NDArray<Float> = try product.dataset("state/parameters").read()
            state = TrainerState(
                parameters: current.data,
                adam: AdamState(m: try product.dataset("state/adam_m").read(as: Float.self).data,
                                v: try product.dataset("state/adam_v").read(as: Float.self).data, step: try int(file, "adam_step", path)),
                bestParameters: posterior.trainable.parameters,
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

    /// The standardisation and context layout of a `flow_model` product (what every family
    /// stores alike), each value checked.
    public static func readStandardization(_ product: Product, parameterCount: Int) throws -> (Standardization, ContextLayout) {
        let (file, path) = (product.file, product.path)
        func doubles(_ name: String) throws -> [Double] { try product.dataset(name, rank: 1).read(as: Double.self).data }
        let xMean = try doubles("transforms/x_mean")
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
            let expected = name.hasPrefix("x_") ? xMean.count : parameterCount
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
        return (s, layout)
    }
}
