// The offscreen framebuffer behind --screenshot, and the PNG it becomes.
#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <GL/glext.h>
#include <GLFW/glfw3.h>

#include <filesystem>
#include <vector>

#include "app.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

namespace tipsim::viz {

namespace {

// Framebuffer objects are OpenGL 3.0: their entry points come from the
// context, not from libGL's OpenGL 1.x exports.
struct FramebufferApi {
  PFNGLGENFRAMEBUFFERSPROC gen_framebuffers = nullptr;
  PFNGLDELETEFRAMEBUFFERSPROC delete_framebuffers = nullptr;
  PFNGLBINDFRAMEBUFFERPROC bind_framebuffer = nullptr;
  PFNGLGENRENDERBUFFERSPROC gen_renderbuffers = nullptr;
  PFNGLDELETERENDERBUFFERSPROC delete_renderbuffers = nullptr;
  PFNGLBINDRENDERBUFFERPROC bind_renderbuffer = nullptr;
  PFNGLRENDERBUFFERSTORAGEPROC renderbuffer_storage = nullptr;
  PFNGLFRAMEBUFFERRENDERBUFFERPROC framebuffer_renderbuffer = nullptr;
  PFNGLCHECKFRAMEBUFFERSTATUSPROC check_framebuffer_status = nullptr;

  bool load() {
    auto get = [](const char* name) { return glfwGetProcAddress(name); };
    gen_framebuffers = reinterpret_cast<PFNGLGENFRAMEBUFFERSPROC>(get("glGenFramebuffers"));
    delete_framebuffers = reinterpret_cast<PFNGLDELETEFRAMEBUFFERSPROC>(get("glDeleteFramebuffers"));
    bind_framebuffer = reinterpret_cast<PFNGLBINDFRAMEBUFFERPROC>(get("glBindFramebuffer"));
    gen_renderbuffers = reinterpret_cast<PFNGLGENRENDERBUFFERSPROC>(get("glGenRenderbuffers"));
    delete_renderbuffers = reinterpret_cast<PFNGLDELETERENDERBUFFERSPROC>(get("glDeleteRenderbuffers"));
    bind_renderbuffer = reinterpret_cast<PFNGLBINDRENDERBUFFERPROC>(get("glBindRenderbuffer"));
    renderbuffer_storage = reinterpret_cast<PFNGLRENDERBUFFERSTORAGEPROC>(get("glRenderbufferStorage"));
    framebuffer_renderbuffer =
        reinterpret_cast<PFNGLFRAMEBUFFERRENDERBUFFERPROC>(get("glFramebufferRenderbuffer"));
    check_framebuffer_status =
        reinterpret_cast<PFNGLCHECKFRAMEBUFFERSTATUSPROC>(get("glCheckFramebufferStatus"));
    return gen_framebuffers && delete_framebuffers && bind_framebuffer && gen_renderbuffers &&
           delete_renderbuffers && bind_renderbuffer && renderbuffer_storage && framebuffer_renderbuffer &&
           check_framebuffer_status;
  }
};

FramebufferApi& api() {
  static FramebufferApi a;
  return a;
}

}  // namespace

OffscreenTarget::OffscreenTarget(int width, int height) : width_(width), height_(height) {
  if (!api().load()) {
    error_ = "this OpenGL context has no framebuffer objects (OpenGL 3.0 is needed)";
    return;
  }
  api().gen_framebuffers(1, &framebuffer_);
  api().bind_framebuffer(GL_FRAMEBUFFER, framebuffer_);
  api().gen_renderbuffers(1, &colour_);
  api().bind_renderbuffer(GL_RENDERBUFFER, colour_);
  api().renderbuffer_storage(GL_RENDERBUFFER, GL_RGBA8, width, height);
  api().framebuffer_renderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, colour_);
  const GLenum status = api().check_framebuffer_status(GL_FRAMEBUFFER);
  api().bind_framebuffer(GL_FRAMEBUFFER, 0);
  ok_ = status == GL_FRAMEBUFFER_COMPLETE;
  if (!ok_)
    error_ =
        "cannot create an offscreen framebuffer of " + std::to_string(width) + "x" + std::to_string(height);
}

OffscreenTarget::~OffscreenTarget() {
  if (colour_ != 0) api().delete_renderbuffers(1, &colour_);
  if (framebuffer_ != 0) api().delete_framebuffers(1, &framebuffer_);
}

void OffscreenTarget::bind() {
  api().bind_framebuffer(GL_FRAMEBUFFER, framebuffer_);
  glViewport(0, 0, width_, height_);
}

void OffscreenTarget::unbind() { api().bind_framebuffer(GL_FRAMEBUFFER, 0); }

std::string OffscreenTarget::save_png(const std::string& path) {
  std::vector<unsigned char> pixels(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_) * 3);
  bind();
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width_, height_, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  unbind();
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, ec);
  // OpenGL's first row is the bottom one.
  stbi_flip_vertically_on_write(1);
  if (stbi_write_png(path.c_str(), width_, height_, 3, pixels.data(), width_ * 3) == 0)
    return "cannot write the screenshot '" + path + "'" + (ec ? ": " + ec.message() : std::string());
  return "";
}

}  // namespace tipsim::viz
