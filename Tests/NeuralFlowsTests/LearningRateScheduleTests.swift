import Testing
import DigsCore
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

    @Test("cosine annealing: the closed form at the start, a quarter, half and the end, whatever the losses")
    func cosine() {
        var s = TrainingSettings()
        s.lrSchedule = .cosine
        s.learningRate = 1e-3
        s.minLearningRate = 1e-5
        s.maxEpochs = 8
        #expect(s.learningRate(after: []) == 1e-3)
        // epoch 2 of 8: (1 + cos(π/4))/2 = 0.853553…
        #expect(abs(s.learningRate(after: [5, 1]) - (1e-5 + 0.99e-3 * 0.8535533905932737)) < 1e-15)
        #expect(abs(s.learningRate(after: [1, 2, 3, 4]) - (1e-5 + 0.99e-3 / 2)) < 1e-15)
        #expect(abs(s.learningRate(after: [Double](repeating: 1, count: 8)) - 1e-5) < 1e-18)
        #expect(throws: Never.self) { try s.validate() }
        // A plateau decay factor with it would be ignored: refused instead.
        s.lrDecayFactor = 0.5
        #expect(throws: DigsError.self) { try s.validate() }
    }
}
