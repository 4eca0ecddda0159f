#pragma once
// After a call into a library whose AVX-512/AVX code returns without `vzeroupper` (ISA-L's CRC,
// simdjson's icelake stage 1), the upper halves of the vector registers stay "in use", and the
// caller's SSE instructions (all of ours outside explicitly targeted functions) each pay for it
// until something clears them. This clears them; a no-op on CPUs without AVX.
namespace bbbhook::util {

void clear_upper_vector_state();

} // namespace bbbhook::util
