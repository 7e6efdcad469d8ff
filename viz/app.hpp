// The window and the frame loop: GLFW, OpenGL 3 and Dear ImGui set up once,
// then a Screen drawn every frame, on the display or, for --screenshot,
// into an offscreen framebuffer saved as a PNG.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "style.hpp"

namespace tipsim::viz {

// Exit codes, as for the tipsim command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // a failure while running (cannot write the screenshot)
inline constexpr int kExitBadInput = 2;  // usage, missing or foreign file, bad scenario, no display

// What a mode draws.
class Screen {
 public:
  virtual ~Screen() = default;
  // Before frame `frame` (0-based) of a headless capture of `frames`.
  virtual void prepare_capture_frame(int frame, int frames) {
    (void)frame;
    (void)frames;
  }
  // Draws one frame of the interface for a window of this size.
  virtual void draw(float width, float height) = 0;
};

struct WindowOptions {
  std::string title;
  int width = 1600;
  int height = 1000;
  std::string screenshot;  // non-empty: render offscreen, save this PNG, exit
  int frames = 60;         // frames rendered before the screenshot
};

// Opens the window (hidden for a screenshot), builds the screen with the
// loaded fonts and runs until the window closes or the capture is saved.
// Returns an exit code; prints "tipsim-viewer: error: ..." on failure.
int run_window(const WindowOptions& options,
               const std::function<std::unique_ptr<Screen>(const Fonts&)>& make_screen);

// Offscreen rendering for screenshots (capture.cpp).
class OffscreenTarget {
 public:
  // A colour framebuffer of this size in the current OpenGL context; check
  // ok() (and error()) afterwards.
  OffscreenTarget(int width, int height);
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  void bind();
  void unbind();
  // Reads the pixels back and writes an RGB PNG (top row first); the
  // folder is created if needed. Returns an empty string or the error.
  std::string save_png(const std::string& path);

 private:
  int width_;
  int height_;
  unsigned framebuffer_ = 0;
  unsigned colour_ = 0;
  bool ok_ = false;
  std::string error_;
};

void print_error(const std::string& message);

}  // namespace tipsim::viz
