// The course's file-transfer steps that common/trace.hpp does not name:
// the calls sendfile and recvfile trace beside the socket calls.
#pragma once

#include "common/trace.hpp"

namespace socklab::filexfer::file_calls {
inline constexpr Call args{"os.Args", "argv"};
inline constexpr Call stat{"os.Stat", "stat"};
inline constexpr Call open{"os.Open", "open"};
inline constexpr Call create{"os.Create", "openat(O_CREAT|O_NOFOLLOW)"};
inline constexpr Call copy_out{"file.Read + conn.Write", "read + send"};
inline constexpr Call copy_in{"conn.Read + file.Write", "recv + write"};
inline constexpr Call commit{"file.Close", "fsync + renameat"};
}  // namespace socklab::filexfer::file_calls
