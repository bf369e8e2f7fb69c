/* TestJanus: a real Janus (Debian's janus package) for one test, started
 * from the test inside its network namespace (tests/netns-run.sh).
 *
 * The configuration is the .jcfg files of tests/janus (VideoRoom over plain HTTP on
 * 127.0.0.1, nothing else), copied to a temporary folder with @PORT@ (a
 * free port, kept across restarts), @JANUS_LIBDIR@, @CONFIGS_FOLDER@ and
 * @DEBUG_LEVEL@ replaced. Janus logs to the test's stdout. It dies with the
 * test process (PR_SET_PDEATHSIG), so a crashed test leaves no Janus behind.
 *
 * Environment: JANUS (the binary, default "janus" in PATH), JANUS_LIBDIR
 * (its modules, default: found under /usr/lib), JANUS_DEBUG_LEVEL (0-7,
 * default 3).
 *
 * Threading: the test thread only (blocking calls).
 */
#pragma once

#include <arpa/inet.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <signal.h>
#include <string>
#include <vector>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef JANUS_CONFIG_DIR
#error "JANUS_CONFIG_DIR must name tests/janus"
#endif

class TestJanus {
public:
  TestJanus ()
  {
    const char *bin = g_getenv ("JANUS");
    gchar *found = g_find_program_in_path (bin ? bin : "janus");
    binary_ = found ? found : "";
    g_free (found);
    libdir_ = find_libdir ();
    port_ = free_port ();
  }
  ~TestJanus ()
  {
    stop ();
    if (!dir_.empty ()) {
      for (const char *f : kFiles)
        g_unlink ((dir_ + "/" + f).c_str ());
      g_rmdir (dir_.c_str ());
    }
  }
  TestJanus (const TestJanus &) = delete;
  TestJanus &operator= (const TestJanus &) = delete;

  /* Janus and its VideoRoom and HTTP modules are installed. */
  bool available () const { return !binary_.empty () && !libdir_.empty (); }
  guint port () const { return port_; }
  std::string url () const { return "http://127.0.0.1:" + std::to_string (port_) + "/janus"; }
  bool running () const { return pid_ > 0; }
  /* More command-line options for the next start (e.g. "--apisecret=x"). */
  std::vector<std::string> args;

  /* Starts Janus and waits until its API answers (false on failure). */
  bool start (guint timeout_ms = 20000)
  {
    if (pid_ > 0)
      return true;
    if (!available () || (dir_.empty () && !write_config ()))
      return false;
    std::string config = dir_ + "/janus.jcfg";
    std::vector<const gchar *> argv = {binary_.c_str (), "-F", dir_.c_str (), "-C",
                                       config.c_str ()};
    for (auto &a : args)
      argv.push_back (a.c_str ());
    argv.push_back (nullptr);
    GError *error = nullptr;
    GPid pid = 0;
    if (!g_spawn_async (
            nullptr, (gchar **)argv.data (), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
            [] (gpointer) { prctl (PR_SET_PDEATHSIG, SIGKILL); }, nullptr, &pid, &error)) {
      g_printerr ("cannot start Janus: %s\n", error->message);
      g_error_free (error);
      return false;
    }
    pid_ = pid;
    gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
    while (g_get_monotonic_time () < end) {
      int status = 0;
      if (waitpid (pid_, &status, WNOHANG) == pid_) {
        g_printerr ("Janus exited at start (status %d)\n", status);
        pid_ = 0;
        return false;
      }
      if (answers ())
        return true;
      g_usleep (100000);
    }
    g_printerr ("Janus did not answer on port %u\n", port_);
    stop ();
    return false;
  }
  /* Kills Janus as a crash would (SIGKILL). */
  void kill ()
  {
    if (pid_ <= 0)
      return;
    ::kill (pid_, SIGKILL);
    waitpid (pid_, nullptr, 0);
    pid_ = 0;
  }
  /* Stops Janus cleanly (SIGTERM, then SIGKILL after 5 s). */
  void stop ()
  {
    if (pid_ <= 0)
      return;
    ::kill (pid_, SIGTERM);
    for (int i = 0; i < 100; i++) {
      if (waitpid (pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      g_usleep (50000);
    }
    kill ();
  }
  /* A crash and a new Janus on the same port: it knows no session. */
  bool restart ()
  {
    kill ();
    return start ();
  }

private:
  static constexpr const char *kFiles[] = {"janus.jcfg", "janus.plugin.videoroom.jcfg",
                                           "janus.transport.http.jcfg"};

  static std::string find_libdir ()
  {
    if (const char *env = g_getenv ("JANUS_LIBDIR"))
      return env;
    auto has_modules = [] (const std::string &dir) {
      return g_file_test ((dir + "/plugins/libjanus_videoroom.so").c_str (), G_FILE_TEST_EXISTS) &&
             g_file_test ((dir + "/transports/libjanus_http.so").c_str (), G_FILE_TEST_EXISTS);
    };
    for (const char *dir : {"/usr/lib/janus", "/usr/local/lib/janus", "/opt/janus/lib/janus"})
      if (has_modules (dir))
        return dir;
    std::string found;
    if (GDir *lib = g_dir_open ("/usr/lib", 0, nullptr)) {
      while (const gchar *name = g_dir_read_name (lib)) {
        std::string dir = std::string ("/usr/lib/") + name + "/janus";
        if (found.empty () && has_modules (dir))
          found = dir;
      }
      g_dir_close (lib);
    }
    return found;
  }

  /* A port nothing listens on now (the kernel's choice). */
  static guint free_port ()
  {
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof (addr);
    guint port = 0;
    if (fd >= 0 && bind (fd, (struct sockaddr *)&addr, sizeof (addr)) == 0 &&
        getsockname (fd, (struct sockaddr *)&addr, &len) == 0)
      port = ntohs (addr.sin_port);
    if (fd >= 0)
      close (fd);
    return port;
  }

  bool write_config ()
  {
    gchar *dir = g_dir_make_tmp ("rtc-janus-XXXXXX", nullptr);
    if (!dir)
      return false;
    dir_ = dir;
    g_free (dir);
    const char *level = g_getenv ("JANUS_DEBUG_LEVEL");
    for (const char *f : kFiles) {
      gchar *text = nullptr;
      if (!g_file_get_contents ((std::string (JANUS_CONFIG_DIR) + "/" + f).c_str (), &text, nullptr,
                                nullptr))
        return false;
      std::string s = text;
      g_free (text);
      replace (s, "@PORT@", std::to_string (port_));
      replace (s, "@JANUS_LIBDIR@", libdir_);
      replace (s, "@CONFIGS_FOLDER@", dir_);
      replace (s, "@DEBUG_LEVEL@", level ? level : "3");
      if (!g_file_set_contents ((dir_ + "/" + f).c_str (), s.c_str (), -1, nullptr))
        return false;
    }
    return true;
  }

  static void replace (std::string &s, const std::string &from, const std::string &to)
  {
    for (size_t at; (at = s.find (from)) != std::string::npos;)
      s.replace (at, from.size (), to);
  }

  /* GET <url>/info answers 200. */
  bool answers () const
  {
    SoupSession *session = soup_session_new_with_options ("timeout", 2, nullptr);
    SoupMessage *msg = soup_message_new ("GET", (url () + "/info").c_str ());
    GBytes *body = soup_session_send_and_read (session, msg, nullptr, nullptr);
    bool ok = soup_message_get_status (msg) == SOUP_STATUS_OK;
    if (body)
      g_bytes_unref (body);
    g_object_unref (msg);
    g_object_unref (session);
    return ok;
  }

  std::string binary_, libdir_, dir_;
  guint port_ = 0;
  GPid pid_ = 0;
};
