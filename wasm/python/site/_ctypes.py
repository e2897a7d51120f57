"""sandhost's stand-in for CPython's _ctypes on wasm32-wasi, which has none
(no libffi, no dynamic loading).

The stdlib's ctypes imports on top of it and answers what pure-Python code
asks of C types: sizes, alignments, structure and union layouts, arrays, and
values held in ctypes objects, as this interpreter (wasm32: 4-byte long and
pointers) lays them out. Nothing here loads a library, calls through a
function pointer or touches memory at an address: dlopen of a library,
calls, addresses, pointers to objects, casts and string_at raise OSError.
The objects hold Python values, not C memory, so a buffer's bytes are not
shared with anything (from_buffer_copy and bytes() copy).
"""

import os as _os
import struct as _struct
import sys as _sys

__version__ = "1.1.0"
RTLD_LOCAL = _os.RTLD_LOCAL
RTLD_GLOBAL = _os.RTLD_GLOBAL
FUNCFLAG_CDECL = 0x1
FUNCFLAG_PYTHONAPI = 0x4
FUNCFLAG_USE_ERRNO = 0x8
FUNCFLAG_USE_LASTERROR = 0x10
SIZEOF_TIME_T = 8  # wasi-libc: time_t is int64_t
CTYPES_MAX_ARGCOUNT = 1024


class ArgumentError(Exception):
    pass


def _no_native(what):
    return OSError("ctypes: %s: native code is not available in the sandbox (wasm32-wasi)" % what)


# Simple types: code -> (size, alignment, struct code). The struct module
# answers for this interpreter's own ABI; struct has no code for long
# double, wchar_t and the pointer-like types.
def _native(code):
    size = _struct.calcsize(code)
    return size, _struct.calcsize("c" + code) - size, code


_SIMPLE = {c: _native(c) for c in "cbBhHiIlLqQfd?P"}
_SIMPLE.update({
    "z": _SIMPLE["P"][:2] + (None,),  # char *
    "Z": _SIMPLE["P"][:2] + (None,),  # wchar_t *
    "O": _SIMPLE["P"][:2] + (None,),  # PyObject *
    "u": (4, 4, "i"),                 # wchar_t: int on wasm32 (clang)
    "g": (16, 16, None),              # long double: IEEE quad on wasm32 (clang)
    "v": _native("h"),                # VARIANT_BOOL
})
_INTS = "bBhHiIlLqQv"
_CODES = "cbBhHiIlLdfuzZqQPXOv?g"


def _align_up(n, a):
    return (n + a - 1) // a * a


class _CDataMeta(type):
    """What every ctypes type can do: arrays by *, sizes, copies."""

    def __mul__(cls, length):
        return _array_type(cls, length)

    __rmul__ = __mul__

    def from_address(cls, address):
        raise _no_native("from_address")

    def from_buffer(cls, source, offset=0):
        raise _no_native("from_buffer (memory shared with C)")

    def in_dll(cls, dll, name):
        raise _no_native("in_dll")

    def from_buffer_copy(cls, source, offset=0):
        data = bytes(memoryview(source)[offset:])
        size = cls._sh_size
        if len(data) < size:
            raise ValueError("Buffer size too small (%d instead of at least %d bytes)" % (len(data), size + offset))
        obj = cls()
        obj._sh_load(data[:size])
        return obj

    def from_param(cls, obj):
        if isinstance(obj, cls):
            return obj
        raise TypeError("expected %s instance instead of %s" % (cls.__name__, type(obj).__name__))


class _CData:
    _sh_size = 0
    _sh_align = 1
    _b_base_ = None
    _b_needsfree_ = 1
    _objects = None

    def __bytes__(self):
        return self._sh_dump()

    def __reduce__(self):
        return type(self).from_buffer_copy, (bytes(self),)

    def __ctypes_from_outparam__(self):
        return self


# Simple types --------------------------------------------------------------

class PyCSimpleType(_CDataMeta):
    def __new__(mcls, name, bases, ns, **kw):
        cls = super().__new__(mcls, name, bases, ns, **kw)
        code = ns.get("_type_")
        if code is None:
            if not hasattr(cls, "_type_") and bases != (_CData,):
                raise AttributeError("class must define a '_type_' attribute")
            return cls
        if not isinstance(code, str) or len(code) != 1 or code not in _SIMPLE:
            raise AttributeError("class must define a '_type_' attribute which must be\n"
                                 "a single character string containing one of %r." % _CODES)
        cls._sh_size, cls._sh_align, cls._sh_struct = _SIMPLE[code]
        cls._sh_order = "<" if _sys.byteorder == "little" else ">"
        if not ns.get("_sh_swapped") and cls._sh_size > 1 and cls._sh_struct:
            # The other byte order, for BigEndianStructure and friends.
            other = "<" if cls._sh_order == ">" else ">"
            swapped = super().__new__(mcls, name, (cls,), {"_sh_swapped": True, "__module__": cls.__module__})
            swapped._sh_order = other
            native, swapped_name = ("__ctype_le__", "__ctype_be__") if _sys.byteorder == "little" else (
                "__ctype_be__", "__ctype_le__")
            type.__setattr__(cls, native, cls)
            type.__setattr__(cls, swapped_name, swapped)
        return cls

    def from_param(cls, obj):
        if isinstance(obj, cls):
            return obj
        return cls(obj)


def _convert(code, value):
    """value as a C object of the code would hold it (integers wrap)."""
    if code in _INTS:
        if not isinstance(value, int):
            value = value.__index__()
        bits = 8 * _SIMPLE[code][0]
        value &= (1 << bits) - 1
        if code in "bhilqv" and value >> (bits - 1):
            value -= 1 << bits
        return value
    if code in "fd":
        value = float(value)
        return _struct.unpack(code, _struct.pack(code, value))[0] if code == "f" else value
    if code == "g":
        return float(value)
    if code == "?":
        return bool(value)
    if code == "c":
        if isinstance(value, int) and 0 <= value < 256:
            return bytes([value])
        if isinstance(value, bytes) and len(value) == 1:
            return value
        raise TypeError("one character bytes, bytearray or integer expected")
    if code == "u":
        if isinstance(value, str) and len(value) == 1:
            return value
        raise TypeError("one character unicode string expected")
    if code == "z":
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, int):
            raise _no_native("a char * from an address")
        raise TypeError("bytes or integer address expected instead of %s instance" % type(value).__name__)
    if code == "Z":
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int):
            raise _no_native("a wchar_t * from an address")
        raise TypeError("unicode string or integer address expected instead of %s instance" % type(value).__name__)
    if code == "P":
        if value is None or value == 0:
            return None
        if isinstance(value, int):
            raise _no_native("a pointer from an address")
        raise TypeError("cannot be converted to pointer")
    return value  # "O"


_DEFAULT = {"c": b"\x00", "u": "\x00", "z": None, "Z": None, "P": None, "?": False, "f": 0.0, "d": 0.0, "g": 0.0}


class _SimpleCData(_CData, metaclass=PyCSimpleType):
    def __init__(self, value=None):
        code = type(self)._type_
        if value is None:
            self._sh_value = _DEFAULT.get(code, 0) if code != "O" else None
        else:
            self.value = value

    @property
    def value(self):
        return self._sh_value

    @value.setter
    def value(self, value):
        self._sh_value = _convert(type(self)._type_, value)

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.value)

    def __bool__(self):
        return bool(self.value)

    def _sh_dump(self):
        fmt = type(self)._sh_struct
        if fmt is None or type(self)._type_ in "zZOP" and self._sh_value is not None:
            raise _no_native("the bytes of a %s" % type(self).__name__)
        v = self._sh_value
        if type(self)._type_ == "u":
            v = ord(v)
        elif type(self)._type_ == "P":
            v = 0
        return _struct.pack(type(self)._sh_order + fmt, v)

    def _sh_load(self, data):
        fmt = type(self)._sh_struct
        if fmt is None:
            raise _no_native("a %s from bytes" % type(self).__name__)
        v = _struct.unpack(type(self)._sh_order + fmt, data)[0]
        if type(self)._type_ == "u":
            v = chr(v)
        self.value = v


# Arrays --------------------------------------------------------------------

class PyCArrayType(_CDataMeta):
    def __new__(mcls, name, bases, ns, **kw):
        cls = super().__new__(mcls, name, bases, ns, **kw)
        if "_type_" in ns or "_length_" in ns:
            length = getattr(cls, "_length_", None)
            item = getattr(cls, "_type_", None)
            if not isinstance(length, int) or isinstance(length, bool):
                raise AttributeError("class must define a '_length_' attribute")
            if length < 0:
                raise ValueError("The '_length_' attribute must not be negative")
            if not isinstance(item, _CDataMeta):
                raise TypeError("_type_ must have storage info")
            cls._sh_size = item._sh_size * length
            cls._sh_align = item._sh_align
        return cls


_array_types = {}


def _array_type(item, length):
    if not isinstance(length, int):
        raise TypeError("can't multiply sequence by non-int of type '%s'" % type(length).__name__)
    if length < 0:
        raise ValueError("Array length must be >= 0, not %d" % length)
    key = (item, length)
    t = _array_types.get(key)
    if t is None:
        t = PyCArrayType("%s_Array_%d" % (item.__name__, length), (Array,),
                         {"_type_": item, "_length_": length, "__module__": item.__module__})
        _array_types[key] = t
    return t


def _new_item(t):
    return t() if not issubclass(t, _SimpleCData) else t()._sh_value


def _store(t, value):
    """What a field or element of type t keeps for value."""
    if issubclass(t, _SimpleCData):
        if isinstance(value, _SimpleCData):
            value = value.value
        return _convert(t._type_, value)
    if isinstance(value, t):
        return value
    if issubclass(t, Array) and isinstance(value, (tuple, list)):
        return t(*value)
    if issubclass(t, (Structure, Union)) and isinstance(value, tuple):
        return t(*value)
    raise TypeError("expected %s instance, got %s" % (t.__name__, type(value).__name__))


def _dump(t, v):
    if issubclass(t, _SimpleCData):
        return t(v)._sh_dump()
    return v._sh_dump()


def _load(t, data):
    obj = t()
    obj._sh_load(data)
    return obj._sh_value if issubclass(t, _SimpleCData) else obj


class Array(_CData, metaclass=PyCArrayType):
    def __init__(self, *items):
        t = type(self)
        if not hasattr(t, "_length_"):
            raise TypeError("abstract class")
        if len(items) > t._length_:
            raise IndexError("indices must be integers")
        self._sh_items = [_new_item(t._type_) for _ in range(t._length_)]
        for i, v in enumerate(items):
            self[i] = v

    def __len__(self):
        return type(self)._length_

    def __getitem__(self, i):
        if isinstance(i, slice):
            items = self._sh_items[i]
            code = self._sh_char()
            if code == "c":
                return b"".join(items)
            if code == "u":
                return "".join(items)
            return items
        return self._sh_items[self._index(i)]

    def __setitem__(self, i, value):
        t = type(self)._type_
        if isinstance(i, slice):
            idx = range(*i.indices(len(self)))
            value = list(value)
            if len(value) != len(idx):
                raise ValueError("Can only assign sequence of same size")
            for j, v in zip(idx, value):
                self._sh_items[j] = _store(t, v)
            return
        self._sh_items[self._index(i)] = _store(t, value)

    def _index(self, i):
        n = len(self)
        i = i.__index__()
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("invalid index")
        return i

    def _sh_char(self):
        t = type(self)._type_
        return t._type_ if issubclass(t, _SimpleCData) else None

    @property
    def value(self):
        code = self._sh_char()
        if code == "c":
            return b"".join(self._sh_items).split(b"\x00", 1)[0]
        if code == "u":
            return "".join(self._sh_items).split("\x00", 1)[0]
        raise AttributeError("value")

    @value.setter
    def value(self, value):
        code = self._sh_char()
        if code not in ("c", "u"):
            raise AttributeError("value")
        if len(value) > len(self):
            raise ValueError("%s too long" % ("byte string" if code == "c" else "string"))
        items = [bytes([b]) for b in value] if code == "c" else list(value)
        if len(items) < len(self):
            items.append(_DEFAULT[code])
        self._sh_items[:len(items)] = items

    @property
    def raw(self):
        if self._sh_char() != "c":
            raise AttributeError("raw")
        return b"".join(self._sh_items)

    @raw.setter
    def raw(self, value):
        if self._sh_char() != "c":
            raise AttributeError("raw")
        if len(value) > len(self):
            raise ValueError("byte string too long")
        self._sh_items[:len(value)] = [bytes([b]) for b in value]

    def _sh_dump(self):
        t = type(self)._type_
        return b"".join(_dump(t, v) for v in self._sh_items)

    def _sh_load(self, data):
        t = type(self)._type_
        s = t._sh_size
        self._sh_items = [_load(t, data[i * s:(i + 1) * s]) for i in range(len(self))]

    def __repr__(self):
        return "<%s.%s object at %#x>" % (type(self).__module__, type(self).__name__, id(self))


# Structures and unions ------------------------------------------------------

class CField:
    """A field of a structure or union: offset and size as ctypes reports
    them (a bit field's size holds its width << 16 | its bit offset)."""

    def __init__(self, name, ftype, offset, size, bits=None, bitofs=0, index=0):
        self.name, self.type, self.offset, self.index = name, ftype, offset, index
        self._bits, self._bitofs = bits, bitofs
        self.size = size if bits is None else (bits << 16) | bitofs

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        return obj._sh_vals[self.name]

    def __set__(self, obj, value):
        v = _store(self.type, value)
        if self._bits is not None:
            bits = self._bits
            v &= (1 << bits) - 1
            if self.type._type_ in "bhilqv" and v >> (bits - 1):
                v -= 1 << bits
        obj._sh_vals[self.name] = v

    def __repr__(self):
        if self._bits is not None:
            return "<Field type=%s, ofs=%d:%d, bits=%d>" % (self.type.__name__, self.offset, self._bitofs, self._bits)
        return "<Field type=%s, ofs=%d, size=%d>" % (self.type.__name__, self.offset, self.size)


class _StructMeta(_CDataMeta):
    _sh_union = False

    def __new__(mcls, name, bases, ns, **kw):
        fields = ns.pop("_fields_", None)
        cls = super().__new__(mcls, name, bases, ns, **kw)
        base = next((b for b in bases if isinstance(b, _StructMeta)), None)
        cls._sh_fields = list(getattr(base, "_sh_fields", ())) if base is not None else []
        cls._sh_size = getattr(base, "_sh_size", 0) if base is not None else 0
        cls._sh_align = getattr(base, "_sh_align", 1) if base is not None else 1
        cls._sh_final = False
        if fields is not None:
            cls._fields_ = fields
        return cls

    def __setattr__(cls, name, value):
        if name == "_fields_":
            if cls.__dict__.get("_sh_final"):
                raise AttributeError("_fields_ is final")
            cls._sh_layout(value)
        super().__setattr__(name, value)

    def _sh_layout(cls, fields):
        pack = cls.__dict__.get("_pack_", 0)
        if not isinstance(pack, int) or pack < 0:
            raise ValueError("_pack_ must be a non-negative integer")
        start = cls._sh_size if not cls._sh_union else 0
        bitpos = start * 8  # the next free bit
        size, align = start, cls._sh_align
        unit = None  # MSVC layout: (unit offset, unit bytes, bits used) of the current bit-field run
        placed = []
        for i, f in enumerate(fields):
            if not isinstance(f, tuple) or len(f) not in (2, 3):
                raise TypeError("'_fields_' must be a sequence of (name, C type) pairs")
            fname, ftype = f[0], f[1]
            if not isinstance(fname, str):
                raise TypeError("field name must be a string")
            if not isinstance(ftype, _CDataMeta):
                raise TypeError("second item in _fields_ tuple (index %d) must be a C type" % i)
            fsize, falign = ftype._sh_size, ftype._sh_align
            if pack:
                falign = min(falign, pack)
            bits = f[2] if len(f) == 3 else None
            if bits is not None:
                if not (issubclass(ftype, _SimpleCData) and ftype._type_ in _INTS + "c?"):
                    raise TypeError("bit fields not allowed for type %s" % ftype.__name__)
                if not isinstance(bits, int) or not 0 < bits <= 8 * fsize:
                    raise ValueError("number of bits invalid for bit field %r" % fname)
            if cls._sh_union:
                offset, bitofs = 0, 0
                size = max(size, fsize)
            elif bits is None:
                unit = None
                offset = _align_up((bitpos + 7) // 8, falign)
                bitofs = 0
                bitpos = (offset + fsize) * 8
            elif not pack:
                # GCC (System V): a bit field never straddles a unit of its
                # type's size aligned to it.
                if bitpos % (8 * fsize) + bits > 8 * fsize:
                    bitpos = _align_up(bitpos, 8 * falign)
                offset = bitpos // (8 * fsize) * fsize
                bitofs = bitpos - offset * 8
                bitpos += bits
            else:
                # MSVC (what ctypes does with _pack_): a run of bit fields of
                # one size shares a unit while they fit.
                if unit is None or unit[1] != fsize or unit[2] + bits > 8 * fsize:
                    unit = [_align_up((bitpos + 7) // 8, falign), fsize, 0]
                    bitpos = (unit[0] + fsize) * 8
                offset, bitofs = unit[0], unit[2]
                unit[2] += bits
            if not cls._sh_union:
                size = max(size, (bitpos + 7) // 8)
            align = max(align, falign)
            placed.append(CField(fname, ftype, offset, fsize, bits, bitofs, len(cls._sh_fields) + len(placed)))
        min_align = cls.__dict__.get("_align_", 0)
        if min_align:
            align = max(align, min_align)
        type.__setattr__(cls, "_sh_size", _align_up(size, align))
        type.__setattr__(cls, "_sh_align", align)
        type.__setattr__(cls, "_sh_fields", cls._sh_fields + placed)
        type.__setattr__(cls, "_sh_final", True)
        for fld in placed:
            type.__setattr__(cls, fld.name, fld)
        for anon in cls.__dict__.get("_anonymous_", ()):
            inner = cls.__dict__[anon]
            for sub in inner.type._sh_fields:
                type.__setattr__(cls, sub.name, _Anonymous(anon, sub))


class _Anonymous:
    """A field of an anonymous member, reached as the outer one's own."""

    def __init__(self, outer, inner):
        self.outer, self.inner = outer, inner

    def __get__(self, obj, cls=None):
        if obj is None:
            return self.inner
        return self.inner.__get__(obj._sh_vals[self.outer])

    def __set__(self, obj, value):
        self.inner.__set__(obj._sh_vals[self.outer], value)


class PyCStructType(_StructMeta):
    pass


class UnionType(_StructMeta):
    _sh_union = True


class _StructBase(_CData):
    def __init__(self, *args, **kw):
        fields = type(self)._sh_fields
        self._sh_vals = {f.name: _new_item(f.type) for f in fields}
        if len(args) > len(fields):
            raise TypeError("too many initializers")
        for f, v in zip(fields, args):
            f.__set__(self, v)
        for name, v in kw.items():
            if any(f.name == name for f in fields[:len(args)]):
                raise TypeError("duplicate values for field %r" % name)
            setattr(self, name, v)

    def _sh_dump(self):
        t = type(self)
        buf = bytearray(t._sh_size)
        for f in t._sh_fields:
            if f._bits is not None:
                raise _no_native("the bytes of a structure with bit fields")
            data = _dump(f.type, self._sh_vals[f.name])
            buf[f.offset:f.offset + len(data)] = data
        return bytes(buf)

    def _sh_load(self, data):
        for f in type(self)._sh_fields:
            if f._bits is not None:
                raise _no_native("a structure with bit fields from bytes")
            self._sh_vals[f.name] = _load(f.type, data[f.offset:f.offset + f.type._sh_size])


class Structure(_StructBase, metaclass=PyCStructType):
    pass


class Union(_StructBase, metaclass=UnionType):
    pass


# Pointers ------------------------------------------------------------------

class PyCPointerType(_CDataMeta):
    def __new__(mcls, name, bases, ns, **kw):
        cls = super().__new__(mcls, name, bases, ns, **kw)
        cls._sh_size, cls._sh_align = _SIMPLE["P"][:2]
        return cls

    def set_type(cls, t):
        cls._type_ = t

    def from_param(cls, obj):
        if obj is None or isinstance(obj, cls):
            return obj
        raise _no_native("passing a pointer")


class _Pointer(_CData, metaclass=PyCPointerType):
    def __init__(self, *args):
        if args:
            raise _no_native("a pointer to an object")

    def __bool__(self):
        return False  # only NULL pointers exist here

    @property
    def contents(self):
        raise ValueError("NULL pointer access")

    def __getitem__(self, i):
        raise ValueError("NULL pointer access")

    def _sh_dump(self):
        return bytes(self._sh_size)

    def _sh_load(self, data):
        if any(data):
            raise _no_native("a pointer from an address")


_pointer_type_cache = {}


def POINTER(t):
    cached = _pointer_type_cache.get(t)
    if cached is not None:
        return cached
    if isinstance(t, str):
        p = PyCPointerType("LP_" + t, (_Pointer,), {})
        _pointer_type_cache[id(p)] = p
        return p
    if not isinstance(t, type):
        raise TypeError("must be a ctypes type")
    p = PyCPointerType("LP_" + t.__name__, (_Pointer,), {"_type_": t})
    _pointer_type_cache[t] = p
    return p


def pointer(obj):
    raise _no_native("pointer()")


# Function pointers ---------------------------------------------------------

class PyCFuncPtrType(_CDataMeta):
    def __new__(mcls, name, bases, ns, **kw):
        cls = super().__new__(mcls, name, bases, ns, **kw)
        cls._sh_size, cls._sh_align = _SIMPLE["P"][:2]
        return cls


class CFuncPtr(_CData, metaclass=PyCFuncPtrType):
    """Made as natively (from an address, a callable or a library's name),
    never callable: a call would run native code."""

    restype = argtypes = errcheck = None

    def __init__(self, *args):
        if len(args) >= 1 and isinstance(args[0], tuple):
            name, dll = args[0][:2]
            raise AttributeError("%s: undefined symbol: %s" % (getattr(dll, "_name", dll), name))
        self._sh_target = args[0] if args else None

    def __call__(self, *args, **kw):
        raise _no_native("calling a C function")

    def __bool__(self):
        return self._sh_target is not None

    def _sh_dump(self):
        raise _no_native("the address of a C function")


# Functions -----------------------------------------------------------------

def _ctype(obj):
    if isinstance(obj, _CDataMeta):
        return obj
    if isinstance(obj, _CData):
        return type(obj)
    raise TypeError("this type has no size")


def sizeof(obj):
    return _ctype(obj)._sh_size


def alignment(obj):
    return _ctype(obj)._sh_align


def byref(obj, offset=0):
    raise _no_native("byref")


def addressof(obj):
    raise _no_native("addressof")


def resize(obj, size):
    raise _no_native("resize")


_errno = [0]


def get_errno():
    return _errno[0]


def set_errno(value):
    old, _errno[0] = _errno[0], value
    return old


def dlopen(name, mode=RTLD_LOCAL):
    if name is None:
        return 0  # the program itself: a library with no symbols here
    raise _no_native("%s: cannot open shared object file" % name)


def dlsym(handle, name):
    raise _no_native("dlsym")


def dlclose(handle):
    raise _no_native("dlclose")


def call_function(address, args):
    raise _no_native("call_function")


call_cdeclfunction = call_function


def PyObj_FromPtr(address):
    raise _no_native("PyObj_FromPtr")


def Py_INCREF(obj):
    raise _no_native("Py_INCREF")


Py_DECREF = Py_INCREF


def buffer_info(obj):
    raise _no_native("buffer_info")


# Addresses of C functions ctypes wraps at import; calling them raises.
_memmove_addr, _memset_addr, _string_at_addr, _cast_addr, _wstring_at_addr = 1, 2, 3, 4, 5
