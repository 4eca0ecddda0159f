#pragma once
// systemd's readiness protocol (sd_notify(3)): one datagram to $NOTIFY_SOCKET. A no-op when the
// process does not run under a Type=notify unit. The protocol is a stable, documented interface
// (systemd's "Interface Portability and Stability"), so it is spoken directly rather than
// pulling in libsystemd for one sendto(2).
#include <string_view>

namespace bbbhook::util {

// Sends e.g. "READY=1", "STOPPING=1", "RELOADING=1", "STATUS=…". Returns false if not under systemd
// or if sending failed (which is never fatal).
bool sd_notify(std::string_view state);

} // namespace bbbhook::util
