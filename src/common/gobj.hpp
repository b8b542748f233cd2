// RAII for GLib/GObject references: the only place that calls *_unref by hand.
#pragma once

#include <glib-object.h>

#include <memory>
#include <utility>

namespace mp {

// Owning reference to a GObject (or a subclass). Taking a raw pointer with
// GRef<T>::ref() adds a reference (sinking a floating one); adopt() takes over
// a reference the caller already owns.
template <typename T>
class GRef {
public:
    GRef() = default;
    GRef(std::nullptr_t) {}
    GRef(const GRef& other) : ptr_(other.ptr_) {
        if (ptr_) g_object_ref(ptr_);
    }
    GRef(GRef&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
    ~GRef() { reset(); }

    GRef& operator=(GRef other) noexcept {
        std::swap(ptr_, other.ptr_);
        return *this;
    }

    static GRef adopt(T* owned) {
        GRef r;
        r.ptr_ = owned;
        return r;
    }
    static GRef ref(T* borrowed) {
        GRef r;
        if (borrowed) r.ptr_ = static_cast<T*>(g_object_ref_sink(borrowed));
        return r;
    }

    void reset() {
        if (T* p = std::exchange(ptr_, nullptr)) g_object_unref(p);
    }
    T* get() const { return ptr_; }
    T* operator->() const { return ptr_; }
    explicit operator bool() const { return ptr_ != nullptr; }
    // For out-parameters: releases what is held and hands the slot out.
    T** out_ptr() {
        reset();
        return &ptr_;
    }

private:
    T* ptr_ = nullptr;
};

template <typename T>
GRef<T> adopt_ref(T* owned) {
    return GRef<T>::adopt(owned);
}

struct GFreeDeleter {
    void operator()(void* p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<char, GFreeDeleter>;

struct GErrorDeleter {
    void operator()(GError* e) const { g_error_free(e); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorDeleter>;

// A GError** out-parameter that frees what it caught:
// `GErrorSlot error; if (!f(..., error.out())) use(error.message());`
class GErrorSlot {
public:
    GErrorSlot() = default;
    GErrorSlot(const GErrorSlot&) = delete;
    GErrorSlot& operator=(const GErrorSlot&) = delete;
    ~GErrorSlot() { g_clear_error(&raw_); }
    GError** out() {
        g_clear_error(&raw_);
        return &raw_;
    }
    explicit operator bool() const { return raw_ != nullptr; }
    const char* message() const { return raw_ ? raw_->message : "unknown error"; }

private:
    GError* raw_ = nullptr;
};

struct GBytesDeleter {
    void operator()(GBytes* b) const { g_bytes_unref(b); }
};
using GBytesPtr = std::unique_ptr<GBytes, GBytesDeleter>;

struct GSourceDeleter {
    void operator()(GSource* s) const {
        g_source_destroy(s);
        g_source_unref(s);
    }
};
// A GSource attached to a context; destroyed (detached) when this goes away.
using GSourcePtr = std::unique_ptr<GSource, GSourceDeleter>;

// Attaches a new source (g_idle_source_new, g_timeout_source_new...) to the
// thread-default main context. A callback that ends its own source resets
// the handle and returns G_SOURCE_REMOVE.
inline GSourcePtr attach_source(GSource* fresh, GSourceFunc callback, gpointer data) {
    g_source_set_callback(fresh, callback, data, nullptr);
    g_source_attach(fresh, g_main_context_get_thread_default());
    return GSourcePtr(fresh);
}

struct GHmacDeleter {
    void operator()(GHmac* h) const { g_hmac_unref(h); }
};
using GHmacPtr = std::unique_ptr<GHmac, GHmacDeleter>;

struct GMainLoopDeleter {
    void operator()(GMainLoop* l) const { g_main_loop_unref(l); }
};
using GMainLoopPtr = std::unique_ptr<GMainLoop, GMainLoopDeleter>;

}  // namespace mp
