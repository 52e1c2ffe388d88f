import DigsCore
import ForwardModel

/// The `model` section of a pipeline file: the forward model θ → noiseless spectrum
/// (`ModelSettings`: parameters, dust, nebular, instrument, at the section's top level) and the
/// observation model beside it (`model.observation`: noise and nuisances). The stages that
/// simulate read `forward` alone; those that add noise or weigh data read `observation`.
/// `model.parameters`, `model.instrument`, … read through to `forward`.
@dynamicMemberLookup
public struct ModelSection: Settings {
    public var forward = ModelSettings()
    public var observation = ObservationModel()

    public init() {}

    public init(forward: ModelSettings, observation: ObservationModel) {
        (self.forward, self.observation) = (forward, observation)
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<ModelSettings, T>) -> T {
        get { forward[keyPath: path] }
        set { forward[keyPath: path] = newValue }
    }

    enum CodingKeys: String, CodingKey { case observation }

    // One flat section: `observation` beside the forward model's keys.
    public init(from decoder: Decoder) throws {
        forward = try ModelSettings(from: decoder)
        observation = try decoder.container(keyedBy: CodingKeys.self).decode(ObservationModel.self, forKey: .observation)
    }

    public func encode(to encoder: Encoder) throws {
        try forward.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(observation, forKey: .observation)
    }

    public func validate() throws {
        try forward.validate()
        try observation.validate(pixels: forward.instrument.pixels)
    }
}
