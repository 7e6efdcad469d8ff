#include "app.hpp"

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace tipsim::viz {

namespace {

std::string g_glfw_error;

extern "C" void remember_glfw_error(int, const char* description) {
  g_glfw_error = description ? description : "";
}

// Creates an OpenGL 3.3 core context, or 3.0 where that is all there is.
GLFWwindow* create_window(const WindowOptions& options, bool visible) {
  glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  int width = options.width, height = options.height;
  if (visible) {
    // Never larger than the screen's work area.
    if (GLFWmonitor* monitor = glfwGetPrimaryMonitor()) {
      int x = 0, y = 0, w = 0, h = 0;
      glfwGetMonitorWorkarea(monitor, &x, &y, &w, &h);
      if (w > 0 && h > 0) {
        width = std::min(width, w);
        height = std::min(height, h - 40);
      }
    }
  }
  GLFWwindow* window = glfwCreateWindow(width, height, options.title.c_str(), nullptr, nullptr);
  if (window != nullptr) return window;
  glfwDefaultWindowHints();
  glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  return glfwCreateWindow(width, height, options.title.c_str(), nullptr, nullptr);
}

void clear(float width, float height) {
  glViewport(0, 0, static_cast<int>(width), static_cast<int>(height));
  const ImVec4 bg = ImGui::ColorConvertU32ToFloat4(colour::kBackground);
  glClearColor(bg.x, bg.y, bg.z, 1);
  glClear(GL_COLOR_BUFFER_BIT);
}

}  // namespace

void print_error(const std::string& message) {
  std::fprintf(stderr, "tipsim-viewer: error: %s\n", message.c_str());
}

int run_window(const WindowOptions& options,
               const std::function<std::unique_ptr<Screen>(const Fonts&)>& make_screen) {
  const bool capture = !options.screenshot.empty();
  glfwSetErrorCallback(remember_glfw_error);
  if (!glfwInit()) {
    const char* display = std::getenv("DISPLAY");
    std::string message = "no display: cannot open a window";
    if (display == nullptr || *display == '\0') message += " (DISPLAY is not set)";
    if (!g_glfw_error.empty()) message += ": " + g_glfw_error;
    message += capture ? ". Without a screen, run it under a virtual display: xvfb-run -a tipsim-viewer ..."
                       : ". Run it on a desktop, or make a screenshot under xvfb-run -a with --screenshot";
    print_error(message);
    return kExitBadInput;
  }
  GLFWwindow* window = create_window(options, !capture);
  if (window == nullptr) {
    print_error("cannot open an OpenGL 3 window" +
                (g_glfw_error.empty() ? std::string() : ": " + g_glfw_error));
    glfwTerminate();
    return kExitBadInput;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(capture ? 0 : 1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  // The layout is computed every frame; nothing to remember between runs.
  io.IniFilename = nullptr;
  int win_w = 0, win_h = 0;
  glfwGetWindowSize(window, &win_w, &win_h);
  const Fonts fonts = setup_style(font_size_for(static_cast<float>(capture ? options.height : win_h)));
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  // GLSL 1.50 for a 3.2+ core context, 1.30 for OpenGL 3.0 and 3.1.
  const int major = glfwGetWindowAttrib(window, GLFW_CONTEXT_VERSION_MAJOR);
  const int minor = glfwGetWindowAttrib(window, GLFW_CONTEXT_VERSION_MINOR);
  ImGui_ImplOpenGL3_Init(major > 3 || (major == 3 && minor >= 2) ? "#version 150" : "#version 130");

  int exit_code = kExitOk;
  {
    std::unique_ptr<Screen> screen = make_screen(fonts);
    if (capture) {
      OffscreenTarget target(options.width, options.height);
      if (!target.ok()) {
        print_error(target.error());
        exit_code = kExitBadInput;
      } else {
        const auto w = static_cast<float>(options.width), h = static_cast<float>(options.height);
        const int frames = std::max(2, options.frames);
        for (int frame = 0; frame < frames; ++frame) {
          screen->prepare_capture_frame(frame, frames);
          glfwPollEvents();
          ImGui_ImplOpenGL3_NewFrame();
          ImGui_ImplGlfw_NewFrame();
          // The offscreen target, not the hidden window, sets the size.
          io.DisplaySize = ImVec2(w, h);
          io.DisplayFramebufferScale = ImVec2(1, 1);
          ImGui::NewFrame();
          screen->draw(w, h);
          ImGui::Render();
          target.bind();
          clear(w, h);
          ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
          target.unbind();
        }
        const std::string failure = target.save_png(options.screenshot);
        if (!failure.empty()) {
          print_error(failure);
          exit_code = kExitFailure;
        }
      }
    } else {
      while (!glfwWindowShouldClose(window)) {
        glfwPollEvents();
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        screen->draw(io.DisplaySize.x, io.DisplaySize.y);
        ImGui::Render();
        int fb_w = 0, fb_h = 0;
        glfwGetFramebufferSize(window, &fb_w, &fb_h);
        clear(static_cast<float>(fb_w), static_cast<float>(fb_h));
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        glfwSwapBuffers(window);
      }
    }
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return exit_code;
}

}  // namespace tipsim::viz
