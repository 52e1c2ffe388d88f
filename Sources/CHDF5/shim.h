// Shim for libhdf5 (serial, 1.10): the type and property-class identifiers, file access
// flags and special sizes of HDF5 are C macros that Swift cannot import; each is wrapped in
// a `static inline` function here.
#ifndef DIGS_CHDF5_SHIM_H
#define DIGS_CHDF5_SHIM_H
#include <hdf5/serial/hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline hid_t digs_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t digs_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t digs_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t digs_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t digs_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t digs_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t digs_h5t_variable(void) { return H5T_VARIABLE; }

static inline hid_t digs_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t digs_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t digs_h5p_file_access(void) { return H5P_FILE_ACCESS; }

static inline unsigned digs_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned digs_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned digs_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned digs_h5f_acc_excl(void) { return H5F_ACC_EXCL; }

static inline hsize_t digs_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline hid_t digs_h5s_all(void) { return H5S_ALL; }
static inline hid_t digs_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t digs_h5p_default(void) { return H5P_DEFAULT; }

/// Closes every descriptor from 3 up except `keep_a` and `keep_b` (close_range(2); where the
/// kernel headers lack it, nothing is closed).
static inline void digs_close_inherited_descriptors(int keep_a, int keep_b) {
#ifdef SYS_close_range
    int keep[2] = { keep_a < keep_b ? keep_a : keep_b, keep_a < keep_b ? keep_b : keep_a };
    int first = 3;
    for (int i = 0; i < 2; i++) {
        if (keep[i] < first) continue;
        if (keep[i] > first) syscall(SYS_close_range, first, keep[i] - 1, 0);
        first = keep[i] + 1;
    }
    syscall(SYS_close_range, first, ~0U, 0);
#else
    (void)keep_a; (void)keep_b;
#endif
}

/// Reads `count` variable-length strings of an attribute (`is_dataset` 0) or a whole dataset
/// (1) in a child process, so that a corrupt global heap that makes libhdf5 crash or loop
/// cannot take the caller down. The child only calls libhdf5, write(2) and _exit(2) (no
/// atexit handlers: HDF5 must not flush the parent's files from the child).
/// On success returns 0, with *out (malloc'd; the caller frees it) holding the strings, each
/// followed by a NUL, and *out_length its size. Returns -1 when the child crashed (*signal
/// set), -2 when it ran out of `timeout_ms`, -3 when libhdf5 reported an error, -4 for a
/// failed system call.
/// The child closes every descriptor it inherited but the object's file and its pipe: a child
/// that hangs must not keep another thread's HDF5 file open, and with it that file's lock
/// (a later open of it would fail with "unable to lock file").
static inline int digs_read_vlen_strings_isolated(hid_t object, int is_dataset, hid_t memory_type, size_t count,
                                                  int timeout_ms, char **out, size_t *out_length, int *signal_number) {
    int fds[2];
    *out = NULL; *out_length = 0; *signal_number = 0;
    int file_descriptor = -1;
    hid_t file = H5Iget_file_id(object);
    if (file >= 0) {
        void *handle = NULL;
        hid_t access = H5Fget_access_plist(file);
        /* only the sec2 driver's handle is a descriptor; any other keeps every descriptor */
        if (access >= 0 && H5Pget_driver(access) == H5FD_SEC2
            && H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) >= 0 && handle) file_descriptor = *(int *)handle;
        if (access >= 0) H5Pclose(access);
        H5Fclose(file);
    }
    if (pipe(fds) != 0) return -4;
    pid_t child = fork();
    if (child < 0) { close(fds[0]); close(fds[1]); return -4; }
    if (child == 0) {
        close(fds[0]);
        if (file_descriptor >= 0) digs_close_inherited_descriptors(file_descriptor, fds[1]);
        /* die quietly on a crash: no inherited crash reporter, no HDF5 messages */
        signal(SIGSEGV, SIG_DFL); signal(SIGBUS, SIG_DFL); signal(SIGILL, SIG_DFL);
        signal(SIGABRT, SIG_DFL); signal(SIGFPE, SIG_DFL); signal(SIGTRAP, SIG_DFL);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) { dup2(devnull, 2); close(devnull); }
        char **strings = (char **)calloc(count ? count : 1, sizeof(char *));
        herr_t status = is_dataset ? H5Dread(object, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings)
                                   : H5Aread(object, memory_type, strings);
        if (status < 0) _exit(3);
        for (size_t i = 0; i < count; i++) {
            const char *s = strings[i] ? strings[i] : "";
            size_t n = strlen(s) + 1, done = 0;
            while (done < n) {
                ssize_t w = write(fds[1], s + done, n - done);
                if (w < 0) { if (errno == EINTR) continue; _exit(4); }
                done += (size_t)w;
            }
        }
        _exit(0);
    }
    close(fds[1]);
    struct timespec began;
    clock_gettime(CLOCK_MONOTONIC, &began);
    size_t capacity = 4096, length = 0;
    char *buffer = (char *)malloc(capacity);
    int result = 0;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - began.tv_sec) * 1000 + (now.tv_nsec - began.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms) { result = -2; break; }
        struct pollfd p = { fds[0], POLLIN, 0 };
        int ready = poll(&p, 1, (int)(timeout_ms - elapsed));
        if (ready < 0) { if (errno == EINTR) continue; result = -4; break; }
        if (ready == 0) { result = -2; break; }
        if (capacity - length < 4096) {
            capacity *= 2;
            char *grown = (char *)realloc(buffer, capacity);
            if (!grown) { result = -4; break; }
            buffer = grown;
        }
        ssize_t r = read(fds[0], buffer + length, capacity - length);
        if (r < 0) { if (errno == EINTR) continue; result = -4; break; }
        if (r == 0) break;
        length += (size_t)r;
    }
    close(fds[0]);
    if (result != 0) kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (result == 0) {
        if (WIFSIGNALED(status)) { result = -1; *signal_number = WTERMSIG(status); }
        else if (!WIFEXITED(status) || WEXITSTATUS(status) == 3) result = -3;
        else if (WEXITSTATUS(status) != 0) result = -4;
    }
    if (result != 0) { free(buffer); return result; }
    *out = buffer;
    *out_length = length;
    return 0;
}

#endif
