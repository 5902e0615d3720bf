#include "tcp_proxy.h"

#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace seedval::testing {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

TcpProxy::TcpProxy(std::uint16_t target_port) : target_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(0);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 16) != 0)
    throw std::runtime_error("tcp proxy: cannot listen");
  socklen_t len = sizeof a;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  thread_.join();
  for (auto [c, s] : pairs_) {
    ::close(c);
    ::close(s);
  }
  ::close(listener_);
}

std::string TcpProxy::endpoint() const {
  return "tcp://127.0.0.1:" + std::to_string(port_);
}

void TcpProxy::cut() {
  cut_ = true;
}

void TcpProxy::restore() {
  cut_ = false;
}

void TcpProxy::run() {
  std::vector<char> buffer(1 << 16);
  while (!stop_) {
    if (cut_) {
      for (auto [c, s] : pairs_) {
        ::close(c);
        ::close(s);
      }
      pairs_.clear();
    }
    std::vector<pollfd> fds{{listener_, POLLIN, 0}};
    for (auto [c, s] : pairs_) {
      fds.push_back({c, POLLIN, 0});
      fds.push_back({s, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int c = ::accept(listener_, nullptr, nullptr);
      if (c >= 0) {
        if (cut_) {
          ::close(c);
        } else {
          const int s = ::socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in a = loopback(target_);
          if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            pairs_.emplace_back(c, s);
            ++connections_;
          } else {
            ::close(s);
            ::close(c);
          }
        }
      }
    }
    std::vector<std::size_t> dead;
    const std::size_t polled = (fds.size() - 1) / 2;  // a pair accepted just now was not polled yet
    for (std::size_t i = 0; i < polled; ++i) {
      const auto [c, s] = pairs_[i];
      for (int dir = 0; dir < 2; ++dir) {
        const pollfd& p = fds[1 + 2 * i + dir];
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = dir == 0 ? c : s, to = dir == 0 ? s : c;
        const ssize_t n = ::read(from, buffer.data(), buffer.size());
        bool ok = n > 0;
        for (ssize_t done = 0; ok && done < n;) {
          const ssize_t w = ::write(to, buffer.data() + done, static_cast<std::size_t>(n - done));
          ok = w > 0;
          done += w;
        }
        if (!ok) {
          dead.push_back(i);
          break;
        }
      }
    }
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
      ::close(pairs_[*it].first);
      ::close(pairs_[*it].second);
      pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }
}

}  // namespace seedval::testing
