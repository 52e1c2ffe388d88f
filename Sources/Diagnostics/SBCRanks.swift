import DigsCore

/// Simulation-based calibration ranks (Talts et al. 2018): the rank of the true value among
/// the posterior samples, an integer in 0…S. Ties (samples exactly equal to the truth) are
/// broken uniformly at random, as Talts et al. prescribe, so a discrete tie never biases the
/// histogram.
public enum SBCRanks {
    /// Rank of `truth` among `samples`: #(s < truth) + U{0, …, #(s == truth)}.
    public static func rank<S: Sequence>(truth: Double, samples: S, generator g: inout Xoshiro256StarStar) -> Int
    where S.Element == Double {
        var below = 0, equal = 0
        for s in samples {
            if s < truth { below += 1 } else if s == truth { equal += 1 }
        }
        return equal == 0 ? below : below + Int(g.next() % UInt64(equal + 1))
    }
}
