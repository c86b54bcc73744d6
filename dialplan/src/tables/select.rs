//! Ordering a group's usable members: priority ascending, and within one priority a weighted
//! random order drawn from a seed.
//!
//! The crate draws no randomness of its own: the caller passes a `u64` seed per call, and the
//! same seed always gives the same order. The seed is expanded with SplitMix64 (Steele, Lea and
//! Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), which turns even
//! consecutive seeds into independent-looking streams.

/// A member eligible for this call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate<T> {
    /// What the caller wants back in order (an index, a reference).
    pub(crate) item: T,
    /// Lower is tried first.
    pub(crate) priority: u32,
    /// Share of first places within the priority; at least 1.
    pub(crate) weight: u32,
}

/// SplitMix64: a tiny deterministic generator, enough for spreading load.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (bound > 0), by multiply-shift (Lemire), without the modulo's
    /// bias towards small values.
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as u64
    }
}

/// The candidates' items in calling order: priority ascending; within a priority, each place
/// is drawn among the remaining members with probability proportional to weight.
pub(crate) fn order<T>(mut candidates: Vec<Candidate<T>>, seed: u64) -> Vec<T> {
    candidates.sort_by_key(|c| c.priority);
    let mut rng = SplitMix64(seed);
    let mut rest = candidates.as_mut_slice();
    while !rest.is_empty() {
        let tier_len = rest.iter().take_while(|c| c.priority == rest[0].priority).count();
        let (tier, after) = rest.split_at_mut(tier_len);
        weighted_shuffle(tier, &mut rng);
        rest = after;
    }
    candidates.into_iter().map(|c| c.item).collect()
}

/// Reorders `tier` in place: position 0 drawn by weight among all, position 1 among the rest…
fn weighted_shuffle<T>(tier: &mut [Candidate<T>], rng: &mut SplitMix64) {
    for place in 0..tier.len() {
        let remaining = &tier[place..];
        let total: u64 = remaining.iter().map(|c| u64::from(c.weight.max(1))).sum();
        let mut draw = rng.below(total);
        let mut pick = place;
        for (offset, c) in remaining.iter().enumerate() {
            let weight = u64::from(c.weight.max(1));
            if draw < weight {
                pick = place + offset;
                break;
            }
            draw -= weight;
        }
        tier.swap(place, pick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(item: &'static str, priority: u32, weight: u32) -> Candidate<&'static str> {
        Candidate { item, priority, weight }
    }

    fn group() -> Vec<Candidate<&'static str>> {
        vec![candidate("c", 2, 1), candidate("a", 1, 70), candidate("b", 1, 30)]
    }

    #[test]
    fn weights_70_30_put_the_heavier_member_first_in_about_70_percent_of_calls() {
        let first_a = (0..10_000u64).filter(|&seed| order(group(), seed)[0] == "a").count();
        assert!((6_700..=7_300).contains(&first_a), "a first in {first_a} of 10000");
    }

    #[test]
    fn lower_priority_members_always_come_after_higher_ones() {
        for seed in 0..1_000 {
            let ordered = order(group(), seed);
            assert_eq!(ordered.len(), 3);
            assert_eq!(ordered[2], "c", "seed {seed}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_order() {
        for seed in [0, 1, 42, u64::MAX] {
            assert_eq!(order(group(), seed), order(group(), seed));
        }
    }

    #[test]
    fn equal_weights_share_first_place_evenly() {
        let members = || (0..4).map(|i| Candidate { item: i, priority: 1, weight: 1 }).collect();
        let mut firsts = [0usize; 4];
        for seed in 0..8_000 {
            firsts[order(members(), seed)[0]] += 1;
        }
        assert!(firsts.iter().all(|&n| (1_800..=2_200).contains(&n)), "{firsts:?}");
    }
}
