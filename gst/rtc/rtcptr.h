/* RAII owners for GLib/GStreamer references held by the C++ classes. */
#pragma once

#include <gst/gst.h>
#include <memory>

namespace rtc {

struct GstObjectUnref {
  void operator() (gpointer p) const
  {
    if (p)
      gst_object_unref (p);
  }
};
struct GstCapsUnref {
  void operator() (GstCaps *p) const
  {
    if (p)
      gst_caps_unref (p);
  }
};
struct GstStructureFree {
  void operator() (GstStructure *p) const
  {
    if (p)
      gst_structure_free (p);
  }
};
struct GFreeDeleter {
  void operator() (gpointer p) const { g_free (p); }
};

/* Owns one reference to a GstObject (element, pad, ...). */
template <typename T> using ObjectPtr = std::unique_ptr<T, GstObjectUnref>;
using CapsPtr = std::unique_ptr<GstCaps, GstCapsUnref>;
using CharPtr = std::unique_ptr<gchar, GFreeDeleter>;
using StructurePtr = std::unique_ptr<GstStructure, GstStructureFree>;

/* Takes a new reference (for pointers we borrow). */
template <typename T> ObjectPtr<T> ref_object (T *obj)
{
  return ObjectPtr<T> (obj ? static_cast<T *> (gst_object_ref (obj)) : nullptr);
}

} // namespace rtc
