import Testing
import NeuralFlows

@Suite("Learning-rate schedule")
struct LearningRateScheduleTests {
    @Test("reduce-on-plateau halves the rate after every 2 epochs without improvement, replayed from the history")
    func plateau() {
        var s = TrainingSettings()
        s.learningRate = 1e-3
        s.lrDecayFactor = 0.5
        s.lrDecayPatience = 2
        // epochs without improvement: 0, 0, 1, 2 (halve), 3, 4 (halve), 0
        #expect(s.learningRate(after: [3, 2, 2.5, 2.6]) == 5e-4)
        #expect(s.learningRate(after: [3, 2, 2.5, 2.6, 2.7, 2.8, 1]) == 2.5e-4)
        #expect(s.learningRate(after: []) == 1e-3)
        s.lrDecayFactor = 1
        #expect(s.learningRate(after: [3, 4, 5, 6, 7]) == 1e-3)
    }
}
