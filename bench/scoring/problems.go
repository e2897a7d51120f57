package scoring

// problems is the corpus: MBPP-style tasks written for sandhost. Each has a
// correct answer, the asserts that grade it, and a wrong answer as a model
// would write it (plausible, but failing an assert); Raise and Loop are
// hand-written where the generic variants (see variants.go) would be less
// like model output. Answers use builtins (list, sum, max, len, sorted, str)
// and modules (math, re, collections, ...) on purpose: that is what a leak
// of shared state breaks.
var problems = []Problem{
	{
		Name: "reverse_words", Func: "reverse_words",
		Answer: `def reverse_words(s):
    return " ".join(reversed(s.split()))
`,
		Tests: `assert reverse_words("hello world") == "world hello"
assert reverse_words("a b c") == "c b a"
assert reverse_words("one") == "one"
`,
		Wrong: `def reverse_words(s):
    return s[::-1]
`,
	},
	{
		Name: "is_prime", Func: "is_prime",
		Answer: `import math

def is_prime(n):
    if n < 2:
        return False
    for d in range(2, math.isqrt(n) + 1):
        if n % d == 0:
            return False
    return True
`,
		Tests: `assert is_prime(2)
assert is_prime(97)
assert not is_prime(1)
assert not is_prime(91)
`,
		Wrong: `def is_prime(n):
    for d in range(2, n // 2):
        if n % d == 0:
            return False
    return True
`,
		Loop: `def is_prime(n):
    d = 2
    while d * d <= n or n < 2:
        if n % d == 0:
            return False
    return True
`,
	},
	{
		Name: "sum_digits", Func: "sum_digits",
		Answer: `def sum_digits(n):
    return sum(int(c) for c in str(abs(n)))
`,
		Tests: `assert sum_digits(123) == 6
assert sum_digits(0) == 0
assert sum_digits(-45) == 9
`,
		Wrong: `def sum_digits(n):
    return sum(int(c) for c in str(n)[1:])
`,
		Raise: `def sum_digits(n):
    return sum(int(c) for c in str(n))
`,
	},
	{
		Name: "second_largest", Func: "second_largest",
		Answer: `def second_largest(xs):
    return sorted(set(xs))[-2]
`,
		Tests: `assert second_largest([1, 5, 3, 5]) == 3
assert second_largest([10, 20]) == 10
assert second_largest([-1, -2, -3]) == -2
`,
		Wrong: `def second_largest(xs):
    return sorted(xs)[-2]
`,
	},
	{
		Name: "count_vowels", Func: "count_vowels",
		Answer: `def count_vowels(s):
    return len([c for c in s.lower() if c in "aeiou"])
`,
		Tests: `assert count_vowels("Hello World") == 3
assert count_vowels("xyz") == 0
assert count_vowels("AEIOU") == 5
`,
		Wrong: `def count_vowels(s):
    return len([c for c in s if c in "aeiou"])
`,
	},
	{
		Name: "flatten", Func: "flatten",
		Answer: `def flatten(xs):
    out = []
    for x in xs:
        if isinstance(x, list):
            out.extend(flatten(x))
        else:
            out.append(x)
    return out
`,
		Tests: `assert flatten([1, [2, [3, 4]], 5]) == [1, 2, 3, 4, 5]
assert flatten([]) == []
assert flatten([[[]]]) == []
`,
		Wrong: `def flatten(xs):
    out = []
    for x in xs:
        if isinstance(x, list):
            out.extend(x)
        else:
            out.append(x)
    return out
`,
	},
	{
		Name: "word_freq", Func: "word_freq",
		Answer: `from collections import Counter

def word_freq(text):
    return dict(Counter(text.lower().split()))
`,
		Tests: `assert word_freq("a b a") == {"a": 2, "b": 1}
assert word_freq("The the") == {"the": 2}
assert word_freq("") == {}
`,
		Wrong: `def word_freq(text):
    return {w: 1 for w in text.split()}
`,
	},
	{
		Name: "fibonacci", Func: "fib",
		Answer: `def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
`,
		Tests: `assert fib(0) == 0
assert fib(1) == 1
assert fib(10) == 55
assert fib(30) == 832040
`,
		Wrong: `def fib(n):
    a, b = 1, 1
    for _ in range(n):
        a, b = b, a + b
    return a
`,
		Loop: `def fib(n):
    a, b = 0, 1
    i = 0
    while i != n:
        a, b = b, a + b
        i += 2
    return a
`,
	},
	{
		Name: "is_palindrome", Func: "is_palindrome",
		Answer: `import re

def is_palindrome(s):
    t = re.sub(r"[^a-z0-9]", "", s.lower())
    return t == t[::-1]
`,
		Tests: `assert is_palindrome("A man, a plan, a canal: Panama")
assert not is_palindrome("hello")
assert is_palindrome("")
`,
		Wrong: `def is_palindrome(s):
    return s == s[::-1]
`,
	},
	{
		Name: "gcd_list", Func: "gcd_list",
		Answer: `import math
from functools import reduce

def gcd_list(xs):
    return reduce(math.gcd, xs)
`,
		Tests: `assert gcd_list([12, 18, 24]) == 6
assert gcd_list([7]) == 7
assert gcd_list([5, 10, 3]) == 1
`,
		Wrong: `def gcd_list(xs):
    return min(xs)
`,
	},
	{
		Name: "max_subarray", Func: "max_subarray",
		Answer: `def max_subarray(xs):
    best = cur = xs[0]
    for x in xs[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best
`,
		Tests: `assert max_subarray([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6
assert max_subarray([-3, -1, -2]) == -1
assert max_subarray([5]) == 5
`,
		Wrong: `def max_subarray(xs):
    best = cur = 0
    for x in xs:
        cur = max(0, cur + x)
        best = max(best, cur)
    return best
`,
	},
	{
		Name: "remove_duplicates", Func: "remove_duplicates",
		Answer: `def remove_duplicates(xs):
    seen = set()
    out = []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
`,
		Tests: `assert remove_duplicates([3, 1, 3, 2, 1]) == [3, 1, 2]
assert remove_duplicates([]) == []
assert remove_duplicates(["a", "a"]) == ["a"]
`,
		Wrong: `def remove_duplicates(xs):
    return list(set(xs))
`,
	},
	{
		Name: "binary_search", Func: "binary_search",
		Answer: `def binary_search(xs, target):
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
`,
		Tests: `assert binary_search([1, 3, 5, 7, 9], 7) == 3
assert binary_search([1, 3, 5], 4) == -1
assert binary_search([], 1) == -1
`,
		Wrong: `def binary_search(xs, target):
    lo, hi = 0, len(xs) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo
`,
		Loop: `def binary_search(xs, target):
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid
        else:
            hi = mid
    return -1
`,
	},
	{
		Name: "anagrams", Func: "are_anagrams",
		Answer: `from collections import Counter

def are_anagrams(a, b):
    return Counter(a.replace(" ", "").lower()) == Counter(b.replace(" ", "").lower())
`,
		Tests: `assert are_anagrams("Listen", "Silent")
assert not are_anagrams("abc", "abd")
assert are_anagrams("dormitory", "dirty room")
`,
		Wrong: `def are_anagrams(a, b):
    return set(a.lower()) == set(b.lower())
`,
	},
	{
		Name: "matrix_transpose", Func: "transpose",
		Answer: `def transpose(m):
    return [list(row) for row in zip(*m)]
`,
		Tests: `assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
assert transpose([[1]]) == [[1]]
assert transpose([]) == []
`,
		Wrong: `def transpose(m):
    return [row[::-1] for row in m]
`,
	},
	{
		Name: "run_length", Func: "run_length",
		Answer: `from itertools import groupby

def run_length(s):
    return "".join(f"{k}{len(list(g))}" for k, g in groupby(s))
`,
		Tests: `assert run_length("aaabcc") == "a3b1c2"
assert run_length("") == ""
assert run_length("z") == "z1"
assert run_length("aabaa") == "a2b1a2"
`,
		Wrong: `def run_length(s):
    return "".join(f"{c}{s.count(c)}" for c in dict.fromkeys(s))
`,
	},
	{
		Name: "count_primes", Func: "count_primes",
		Answer: `def count_primes(n):
    if n < 3:
        return 0
    sieve = [True] * n
    sieve[0] = sieve[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = [False] * len(range(i * i, n, i))
    return sum(sieve)
`,
		Tests: `assert count_primes(10) == 4
assert count_primes(2) == 0
assert count_primes(100) == 25
`,
		Wrong: `def count_primes(n):
    return len([k for k in range(2, n) if k % 2 == 1 or k == 2])
`,
	},
	{
		Name: "capitalize_words", Func: "capitalize_words",
		Answer: `def capitalize_words(s):
    return " ".join(w[:1].upper() + w[1:] for w in s.split(" "))
`,
		Tests: `assert capitalize_words("hello world") == "Hello World"
assert capitalize_words("a  b") == "A  B"
assert capitalize_words("") == ""
assert capitalize_words("it's ok") == "It's Ok"
`,
		Wrong: `def capitalize_words(s):
    return s.title()
`,
	},
	{
		Name: "chunk_list", Func: "chunk",
		Answer: `def chunk(xs, n):
    return [xs[i:i + n] for i in range(0, len(xs), n)]
`,
		Tests: `assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
assert chunk([], 3) == []
assert chunk([1, 2], 5) == [[1, 2]]
`,
		Wrong: `def chunk(xs, n):
    return [xs[i:i + n] for i in range(0, len(xs) - n + 1, n)]
`,
	},
	{
		Name: "roman_to_int", Func: "roman_to_int",
		Answer: `def roman_to_int(s):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, c in enumerate(s):
        v = values[c]
        if i + 1 < len(s) and values[s[i + 1]] > v:
            total -= v
        else:
            total += v
    return total
`,
		Tests: `assert roman_to_int("III") == 3
assert roman_to_int("MCMXCIV") == 1994
assert roman_to_int("IX") == 9
`,
		Wrong: `def roman_to_int(s):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    return sum(values[c] for c in s)
`,
	},
	{
		Name: "int_to_binary", Func: "to_binary",
		Answer: `def to_binary(n):
    return bin(n)[2:]
`,
		Tests: `assert to_binary(5) == "101"
assert to_binary(0) == "0"
assert to_binary(255) == "11111111"
`,
		Wrong: `def to_binary(n):
    out = ""
    while n > 0:
        out = str(n % 2) + out
        n //= 2
    return out
`,
		Loop: `def to_binary(n):
    out = ""
    while n >= 0:
        out = str(n % 2) + out
        n //= 2
    return out
`,
	},
	{
		Name: "merge_sorted", Func: "merge_sorted",
		Answer: `import heapq

def merge_sorted(a, b):
    return list(heapq.merge(a, b))
`,
		Tests: `assert merge_sorted([1, 4, 9], [2, 3, 10]) == [1, 2, 3, 4, 9, 10]
assert merge_sorted([], [1]) == [1]
assert merge_sorted([], []) == []
`,
		Wrong: `def merge_sorted(a, b):
    return a + b
`,
	},
	{
		Name: "kth_smallest", Func: "kth_smallest",
		Answer: `import heapq

def kth_smallest(xs, k):
    return heapq.nsmallest(k, xs)[-1]
`,
		Tests: `assert kth_smallest([7, 10, 4, 3, 20, 15], 3) == 7
assert kth_smallest([1], 1) == 1
assert kth_smallest([5, 5, 1], 3) == 5
`,
		Wrong: `def kth_smallest(xs, k):
    return sorted(set(xs))[k - 1]
`,
	},
	{
		Name: "hypotenuse", Func: "hypotenuse",
		Answer: `import math

def hypotenuse(a, b):
    return round(math.hypot(a, b), 6)
`,
		Tests: `assert hypotenuse(3, 4) == 5.0
assert hypotenuse(5, 12) == 13.0
assert hypotenuse(1, 1) == 1.414214
`,
		Wrong: `def hypotenuse(a, b):
    return round((a * a + b * b) / 2, 6)
`,
	},
	{
		Name: "extract_numbers", Func: "extract_numbers",
		Answer: `import re

def extract_numbers(s):
    return [int(m) for m in re.findall(r"-?\d+", s)]
`,
		Tests: `assert extract_numbers("a1b22c-3") == [1, 22, -3]
assert extract_numbers("none") == []
assert extract_numbers("100 and 200") == [100, 200]
`,
		Wrong: `def extract_numbers(s):
    return [int(c) for c in s if c.isdigit()]
`,
	},
	{
		Name: "pairs_with_sum", Func: "pairs_with_sum",
		Answer: `def pairs_with_sum(xs, target):
    seen = {}
    count = 0
    for x in xs:
        count += seen.get(target - x, 0)
        seen[x] = seen.get(x, 0) + 1
    return count
`,
		Tests: `assert pairs_with_sum([1, 5, 7, -1], 6) == 2
assert pairs_with_sum([1, 1, 1, 1], 2) == 6
assert pairs_with_sum([], 3) == 0
`,
		Wrong: `def pairs_with_sum(xs, target):
    return len({x for x in xs if target - x in xs})
`,
	},
	{
		Name: "rotate_list", Func: "rotate",
		Answer: `def rotate(xs, k):
    if not xs:
        return []
    k %= len(xs)
    return xs[-k:] + xs[:-k]
`,
		Tests: `assert rotate([1, 2, 3, 4, 5], 2) == [4, 5, 1, 2, 3]
assert rotate([1, 2, 3], 3) == [1, 2, 3]
assert rotate([], 4) == []
assert rotate([1, 2], 5) == [2, 1]
`,
		Wrong: `def rotate(xs, k):
    return xs[k:] + xs[:k]
`,
		Raise: `def rotate(xs, k):
    k %= len(xs)
    return xs[-k:] + xs[:-k]
`,
	},
	{
		Name: "longest_common_prefix", Func: "common_prefix",
		Answer: `import os

def common_prefix(words):
    return os.path.commonprefix(words)
`,
		Tests: `assert common_prefix(["flower", "flow", "flight"]) == "fl"
assert common_prefix(["dog", "car"]) == ""
assert common_prefix(["same", "same"]) == "same"
`,
		Wrong: `def common_prefix(words):
    return min(words)
`,
	},
	{
		Name: "factorial", Func: "factorial",
		Answer: `def factorial(n):
    out = 1
    for k in range(2, n + 1):
        out *= k
    return out
`,
		Tests: `assert factorial(0) == 1
assert factorial(5) == 120
assert factorial(20) == 2432902008176640000
`,
		Wrong: `def factorial(n):
    out = 1
    for k in range(1, n):
        out *= k
    return out
`,
		Raise: `def factorial(n):
    return n * factorial(n - 1)
`,
	},
	{
		Name: "camel_to_snake", Func: "camel_to_snake",
		Answer: `import re

def camel_to_snake(s):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", s).lower()
`,
		Tests: `assert camel_to_snake("camelCaseString") == "camel_case_string"
assert camel_to_snake("Already") == "already"
assert camel_to_snake("aB") == "a_b"
`,
		Wrong: `def camel_to_snake(s):
    return s.lower()
`,
	},
	{
		Name: "median", Func: "median",
		Answer: `import statistics

def median(xs):
    return statistics.median(xs)
`,
		Tests: `assert median([3, 1, 2]) == 2
assert median([4, 1, 3, 2]) == 2.5
assert median([7]) == 7
`,
		Wrong: `def median(xs):
    return sorted(xs)[len(xs) // 2]
`,
	},
	{
		Name: "char_histogram", Func: "most_common_char",
		Answer: `from collections import Counter

def most_common_char(s):
    counts = Counter(s)
    best = max(counts.values())
    return min(c for c, n in counts.items() if n == best)
`,
		Tests: `assert most_common_char("abracadabra") == "a"
assert most_common_char("bbaa") == "a"
assert most_common_char("z") == "z"
`,
		Wrong: `def most_common_char(s):
    return s[0]
`,
	},
	{
		Name: "dict_invert", Func: "invert",
		Answer: `def invert(d):
    out = {}
    for k, v in d.items():
        out.setdefault(v, []).append(k)
    return {v: sorted(ks) for v, ks in out.items()}
`,
		Tests: `assert invert({"a": 1, "b": 2, "c": 1}) == {1: ["a", "c"], 2: ["b"]}
assert invert({}) == {}
`,
		Wrong: `def invert(d):
    return {v: k for k, v in d.items()}
`,
	},
	{
		Name: "valid_parentheses", Func: "balanced",
		Answer: `def balanced(s):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for c in s:
        if c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack
`,
		Tests: `assert balanced("([]{})")
assert not balanced("(]")
assert not balanced("((")
assert balanced("")
assert not balanced("([)]")
assert not balanced(")(")
`,
		Wrong: `def balanced(s):
    return s.count("(") == s.count(")") and s.count("[") == s.count("]")
`,
		Raise: `def balanced(s):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for c in s:
        if c in "([{":
            stack.append(c)
        elif stack.pop() != pairs[c]:
            return False
    return not stack
`,
	},
	{
		Name: "square_evens", Func: "square_evens",
		Answer: `def square_evens(xs):
    return [x * x for x in xs if x % 2 == 0]
`,
		Tests: `assert square_evens([1, 2, 3, 4]) == [4, 16]
assert square_evens([]) == []
assert square_evens([-2]) == [4]
`,
		Wrong: `def square_evens(xs):
    return [x * x for x in xs if x % 2]
`,
	},
	{
		Name: "digital_root", Func: "digital_root",
		Answer: `def digital_root(n):
    while n >= 10:
        n = sum(int(c) for c in str(n))
    return n
`,
		Tests: `assert digital_root(16) == 7
assert digital_root(942) == 6
assert digital_root(0) == 0
`,
		Wrong: `def digital_root(n):
    return sum(int(c) for c in str(n))
`,
		Loop: `def digital_root(n):
    while n >= 10:
        n = sum(int(c) for c in str(n)) * 10
    return n
`,
	},
	{
		Name: "title_case_count", Func: "count_upper",
		Answer: `import string

def count_upper(s):
    return sum(1 for c in s if c in string.ascii_uppercase)
`,
		Tests: `assert count_upper("Hello World") == 2
assert count_upper("abc") == 0
assert count_upper("ABC def") == 3
`,
		Wrong: `def count_upper(s):
    return len(s.split())
`,
	},
	{
		Name: "caesar", Func: "caesar",
		Answer: `import string

def caesar(s, k):
    lower = string.ascii_lowercase
    table = str.maketrans(lower, lower[k % 26:] + lower[:k % 26])
    return s.translate(table)
`,
		Tests: `assert caesar("abc", 1) == "bcd"
assert caesar("xyz", 3) == "abc"
assert caesar("hello, world", 26) == "hello, world"
`,
		Wrong: `def caesar(s, k):
    return "".join(chr(ord(c) + k) for c in s)
`,
	},
	{
		Name: "product_except_self", Func: "product_except_self",
		Answer: `def product_except_self(xs):
    n = len(xs)
    out = [1] * n
    left = 1
    for i in range(n):
        out[i] = left
        left *= xs[i]
    right = 1
    for i in range(n - 1, -1, -1):
        out[i] *= right
        right *= xs[i]
    return out
`,
		Tests: `assert product_except_self([1, 2, 3, 4]) == [24, 12, 8, 6]
assert product_except_self([0, 1]) == [1, 0]
`,
		Wrong: `def product_except_self(xs):
    total = 1
    for x in xs:
        total *= x
    return [total // x if x else 0 for x in xs]
`,
		Raise: `def product_except_self(xs):
    total = 1
    for x in xs:
        total *= x
    return [total // x for x in xs]
`,
	},
	{
		Name: "list_mode", Func: "mode",
		Answer: `from collections import Counter

def mode(xs):
    counts = Counter(xs)
    top = max(counts.values())
    return sorted(x for x in counts if counts[x] == top)
`,
		Tests: `assert mode([1, 2, 2, 3, 3]) == [2, 3]
assert mode([5]) == [5]
assert mode([4, 4, 1]) == [4]
`,
		Wrong: `def mode(xs):
    return [max(xs)]
`,
	},
	{
		Name: "nth_triangle", Func: "triangle",
		Answer: `def triangle(n):
    return n * (n + 1) // 2
`,
		Tests: `assert triangle(1) == 1
assert triangle(4) == 10
assert triangle(100) == 5050
`,
		Wrong: `def triangle(n):
    return n * (n - 1) // 2
`,
	},
	{
		Name: "zip_dict", Func: "zip_dict",
		Answer: `def zip_dict(keys, values):
    return dict(zip(keys, values))
`,
		Tests: `assert zip_dict(["a", "b"], [1, 2]) == {"a": 1, "b": 2}
assert zip_dict([], []) == {}
assert zip_dict(["x"], [1, 2]) == {"x": 1}
`,
		Wrong: `def zip_dict(keys, values):
    return {k: values[0] for k in keys}
`,
		Raise: `def zip_dict(keys, values):
    return {keys[i]: values[i] for i in range(len(values))}
`,
	},
	{
		Name: "power_set", Func: "power_set",
		Answer: `from itertools import combinations

def power_set(xs):
    return [list(c) for r in range(len(xs) + 1) for c in combinations(xs, r)]
`,
		Tests: `assert power_set([1, 2]) == [[], [1], [2], [1, 2]]
assert power_set([]) == [[]]
assert len(power_set([1, 2, 3, 4])) == 16
`,
		Wrong: `def power_set(xs):
    return [xs[:i] for i in range(len(xs) + 1)]
`,
	},
	{
		Name: "permutations_count", Func: "unique_perms",
		Answer: `from itertools import permutations

def unique_perms(s):
    return len(set(permutations(s)))
`,
		Tests: `assert unique_perms("abc") == 6
assert unique_perms("aab") == 3
assert unique_perms("") == 1
`,
		Wrong: `def unique_perms(s):
    out = 1
    for k in range(2, len(s) + 1):
        out *= k
    return out
`,
	},
	{
		Name: "leap_year", Func: "is_leap",
		Answer: `import calendar

def is_leap(y):
    return calendar.isleap(y)
`,
		Tests: `assert is_leap(2000)
assert not is_leap(1900)
assert is_leap(2024)
assert not is_leap(2023)
`,
		Wrong: `def is_leap(y):
    return y % 4 == 0
`,
	},
	{
		Name: "days_between", Func: "days_between",
		Answer: `from datetime import date

def days_between(a, b):
    return abs((date.fromisoformat(b) - date.fromisoformat(a)).days)
`,
		Tests: `assert days_between("2024-01-01", "2024-03-01") == 60
assert days_between("2023-12-31", "2023-12-30") == 1
assert days_between("2020-05-05", "2020-05-05") == 0
`,
		Wrong: `def days_between(a, b):
    return abs(int(b[-2:]) - int(a[-2:]))
`,
	},
	{
		Name: "json_keys", Func: "sorted_keys",
		Answer: `import json

def sorted_keys(text):
    return sorted(json.loads(text).keys())
`,
		Tests: `assert sorted_keys('{"b": 1, "a": 2}') == ["a", "b"]
assert sorted_keys("{}") == []
`,
		Wrong: `def sorted_keys(text):
    return [k.strip('"') for k in text.strip("{}").split(",")]
`,
	},
	{
		Name: "fraction_sum", Func: "fraction_sum",
		Answer: `from fractions import Fraction

def fraction_sum(pairs):
    total = sum((Fraction(a, b) for a, b in pairs), Fraction(0))
    return (total.numerator, total.denominator)
`,
		Tests: `assert fraction_sum([(1, 2), (1, 3)]) == (5, 6)
assert fraction_sum([(1, 4), (3, 4)]) == (1, 1)
assert fraction_sum([]) == (0, 1)
`,
		Wrong: `def fraction_sum(pairs):
    return (sum(a for a, _ in pairs), sum(b for _, b in pairs))
`,
	},
	{
		Name: "group_by_length", Func: "group_by_length",
		Answer: `from collections import defaultdict

def group_by_length(words):
    groups = defaultdict(list)
    for w in words:
        groups[len(w)].append(w)
    return dict(groups)
`,
		Tests: `assert group_by_length(["a", "bb", "c"]) == {1: ["a", "c"], 2: ["bb"]}
assert group_by_length([]) == {}
`,
		Wrong: `def group_by_length(words):
    return {len(w): [w] for w in words}
`,
	},
	{
		Name: "running_sum", Func: "running_sum",
		Answer: `from itertools import accumulate

def running_sum(xs):
    return list(accumulate(xs))
`,
		Tests: `assert running_sum([1, 2, 3]) == [1, 3, 6]
assert running_sum([]) == []
assert running_sum([5, -5]) == [5, 0]
`,
		Wrong: `def running_sum(xs):
    return [sum(xs[:i]) for i in range(len(xs))]
`,
	},
	{
		Name: "vowel_strip", Func: "strip_vowels",
		Answer: `def strip_vowels(s):
    return "".join(c for c in s if c.lower() not in "aeiou")
`,
		Tests: `assert strip_vowels("Education") == "dctn"
assert strip_vowels("rhythm") == "rhythm"
assert strip_vowels("") == ""
`,
		Wrong: `def strip_vowels(s):
    return "".join(c for c in s if c not in "aeiou")
`,
	},
	{
		Name: "armstrong", Func: "is_armstrong",
		Answer: `def is_armstrong(n):
    digits = str(n)
    return n == sum(int(d) ** len(digits) for d in digits)
`,
		Tests: `assert is_armstrong(153)
assert is_armstrong(9474)
assert not is_armstrong(10)
`,
		Wrong: `def is_armstrong(n):
    return n == sum(int(d) ** 3 for d in str(n))
`,
	},
	{
		Name: "collatz_steps", Func: "collatz_steps",
		Answer: `def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
`,
		Tests: `assert collatz_steps(1) == 0
assert collatz_steps(6) == 8
assert collatz_steps(27) == 111
`,
		Wrong: `def collatz_steps(n):
    steps = 0
    while n > 2:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
`,
		Loop: `def collatz_steps(n):
    steps = 0
    while n != 0:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
`,
	},
	{
		Name: "deep_sum", Func: "deep_sum",
		Answer: `def deep_sum(d):
    total = 0
    for v in d.values():
        total += deep_sum(v) if isinstance(v, dict) else v
    return total
`,
		Tests: `assert deep_sum({"a": 1, "b": {"c": 2, "d": {"e": 3}}}) == 6
assert deep_sum({}) == 0
`,
		Wrong: `def deep_sum(d):
    return sum(v for v in d.values() if isinstance(v, int))
`,
		Raise: `def deep_sum(d):
    return sum(d.values())
`,
	},
	{
		Name: "string_compress_ok", Func: "compress",
		Answer: `def compress(s):
    out = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        out.append(s[i] + (str(j - i) if j - i > 1 else ""))
        i = j
    result = "".join(out)
    return result if len(result) < len(s) else s
`,
		Tests: `assert compress("aabcccccaaa") == "a2bc5a3"
assert compress("abc") == "abc"
assert compress("") == ""
`,
		Wrong: `def compress(s):
    return "".join(sorted(set(s)))
`,
		Loop: `def compress(s):
    out = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            k = j + 1
        out.append(s[i] + str(j - i))
        i = j
    return "".join(out)
`,
	},
	{
		Name: "matrix_multiply", Func: "matmul",
		Answer: `def matmul(a, b):
    return [[sum(x * y for x, y in zip(row, col)) for col in zip(*b)] for row in a]
`,
		Tests: `assert matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]
assert matmul([[1]], [[2]]) == [[2]]
`,
		Wrong: `def matmul(a, b):
    return [[x * y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
`,
	},
	{
		Name: "bisect_insert", Func: "insert_sorted",
		Answer: `import bisect

def insert_sorted(xs, x):
    out = list(xs)
    bisect.insort(out, x)
    return out
`,
		Tests: `assert insert_sorted([1, 3, 5], 4) == [1, 3, 4, 5]
assert insert_sorted([], 1) == [1]
assert insert_sorted([2, 2], 2) == [2, 2, 2]
`,
		Wrong: `def insert_sorted(xs, x):
    return xs + [x]
`,
	},
	{
		Name: "email_valid", Func: "valid_email",
		Answer: `import re

def valid_email(s):
    return re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", s) is not None
`,
		Tests: `assert valid_email("a.b@example.com")
assert not valid_email("nope")
assert not valid_email("x@y")
`,
		Wrong: `def valid_email(s):
    return "@" in s
`,
	},
	{
		Name: "lcm_range", Func: "lcm_range",
		Answer: `import math

def lcm_range(n):
    out = 1
    for k in range(1, n + 1):
        out = out * k // math.gcd(out, k)
    return out
`,
		Tests: `assert lcm_range(10) == 2520
assert lcm_range(1) == 1
assert lcm_range(20) == 232792560
`,
		Wrong: `def lcm_range(n):
    out = 1
    for k in range(1, n + 1):
        out *= k
    return out
`,
	},
	{
		Name: "word_lengths", Func: "longest_word",
		Answer: `def longest_word(s):
    words = s.split()
    return max(words, key=len) if words else ""
`,
		Tests: `assert longest_word("a quick brown fox") == "quick"
assert longest_word("") == ""
assert longest_word("aa bb") == "aa"
`,
		Wrong: `def longest_word(s):
    return sorted(s.split())[-1] if s else ""
`,
		Raise: `def longest_word(s):
    return max(s.split(), key=len)
`,
	},
	{
		Name: "ordered_counter", Func: "first_unique",
		Answer: `from collections import OrderedDict

def first_unique(s):
    counts = OrderedDict()
    for c in s:
        counts[c] = counts.get(c, 0) + 1
    for c, n in counts.items():
        if n == 1:
            return c
    return None
`,
		Tests: `assert first_unique("swiss") == "w"
assert first_unique("aabb") is None
assert first_unique("x") == "x"
`,
		Wrong: `def first_unique(s):
    return s[0] if s else None
`,
	},
	{
		Name: "decimal_round", Func: "round_half_up",
		Answer: `from decimal import Decimal, ROUND_HALF_UP

def round_half_up(x, places):
    q = Decimal(1).scaleb(-places)
    return float(Decimal(str(x)).quantize(q, rounding=ROUND_HALF_UP))
`,
		Tests: `assert round_half_up(2.5, 0) == 3.0
assert round_half_up(1.005, 2) == 1.01
assert round_half_up(-1.5, 0) == -2.0
`,
		Wrong: `def round_half_up(x, places):
    return round(x, places)
`,
	},
	{
		Name: "is_isogram", Func: "is_isogram",
		Answer: `def is_isogram(word):
    letters = [c.lower() for c in word if c.isalpha()]
    return len(letters) == len(set(letters))
`,
		Tests: `assert is_isogram("Dermatoglyphics")
assert not is_isogram("Alphabet")
assert is_isogram("six-year-old")
assert is_isogram("")
`,
		Wrong: `def is_isogram(word):
    return len(word) == len(set(word))
`,
	},
	{
		Name: "longest_word", Func: "longest_word",
		Answer: `def longest_word(sentence):
    best = ""
    for w in sentence.split():
        if len(w) > len(best):
            best = w
    return best
`,
		Tests: `assert longest_word("the quick brown fox") == "quick"
assert longest_word("a bb cc") == "bb"
assert longest_word("") == ""
`,
		Wrong: `def longest_word(sentence):
    return sorted(sentence.split(), key=len)[-1]
`,
	},
	{
		Name: "count_overlapping", Func: "count_substring",
		Answer: `def count_substring(s, sub):
    count = start = 0
    while True:
        i = s.find(sub, start)
        if i < 0:
            return count
        count += 1
        start = i + 1
`,
		Tests: `assert count_substring("aaaa", "aa") == 3
assert count_substring("abcabc", "abc") == 2
assert count_substring("abc", "d") == 0
`,
		Wrong: `def count_substring(s, sub):
    return s.count(sub)
`,
		Loop: `def count_substring(s, sub):
    count = start = 0
    while True:
        i = s.find(sub, start)
        if i < 0:
            return count
        count += 1
        start = i
`,
	},
	{
		Name: "pig_latin", Func: "pig_latin",
		Answer: `def pig_latin(word):
    for i, c in enumerate(word):
        if c in "aeiou":
            if i == 0:
                return word + "way"
            return word[i:] + word[:i] + "ay"
    return word + "ay"
`,
		Tests: `assert pig_latin("apple") == "appleway"
assert pig_latin("string") == "ingstray"
assert pig_latin("rhythm") == "rhythmay"
`,
		Wrong: `def pig_latin(word):
    return word[1:] + word[0] + "ay"
`,
	},
	{
		Name: "reverse_vowels", Func: "reverse_vowels",
		Answer: `def reverse_vowels(s):
    chars = list(s)
    idx = [i for i, c in enumerate(chars) if c.lower() in "aeiou"]
    vals = [chars[i] for i in idx]
    for i, v in zip(idx, reversed(vals)):
        chars[i] = v
    return "".join(chars)
`,
		Tests: `assert reverse_vowels("hello") == "holle"
assert reverse_vowels("leetcode") == "leotcede"
assert reverse_vowels("xyz") == "xyz"
assert reverse_vowels("Aa") == "aA"
`,
		Wrong: `def reverse_vowels(s):
    vowels = [c for c in s if c in "aeiou"]
    return "".join(vowels[::-1])
`,
	},
	{
		Name: "is_rotation", Func: "is_rotation",
		Answer: `def is_rotation(a, b):
    return len(a) == len(b) and b in a + a
`,
		Tests: `assert is_rotation("waterbottle", "erbottlewat")
assert not is_rotation("abc", "acb")
assert not is_rotation("ab", "aba")
assert is_rotation("", "")
`,
		Wrong: `def is_rotation(a, b):
    return sorted(a) == sorted(b)
`,
	},
	{
		Name: "move_zeros", Func: "move_zeros",
		Answer: `def move_zeros(xs):
    nonzero = [x for x in xs if x != 0]
    return nonzero + [0] * (len(xs) - len(nonzero))
`,
		Tests: `assert move_zeros([0, 1, 0, 3, 12]) == [1, 3, 12, 0, 0]
assert move_zeros([0]) == [0]
assert move_zeros([4, 2]) == [4, 2]
`,
		Wrong: `def move_zeros(xs):
    return sorted(xs, key=lambda x: x == 0 and 1 or -x)
`,
		Loop: `def move_zeros(xs):
    xs = list(xs)
    i = 0
    while i < len(xs):
        if xs[i] == 0:
            xs.append(xs.pop(i))
        else:
            i += 1
    return xs
`,
	},
	{
		Name: "pairwise_diff", Func: "pairwise_diff",
		Answer: `def pairwise_diff(xs):
    return [b - a for a, b in zip(xs, xs[1:])]
`,
		Tests: `assert pairwise_diff([1, 4, 9, 16]) == [3, 5, 7]
assert pairwise_diff([5]) == []
assert pairwise_diff([3, 1]) == [-2]
`,
		Wrong: `def pairwise_diff(xs):
    return [abs(b - a) for a, b in zip(xs, xs[1:])]
`,
	},
	{
		Name: "missing_number", Func: "missing_number",
		Answer: `def missing_number(xs):
    n = len(xs)
    return n * (n + 1) // 2 - sum(xs)
`,
		Tests: `assert missing_number([3, 0, 1]) == 2
assert missing_number([0, 1]) == 2
assert missing_number([1]) == 0
`,
		Wrong: `def missing_number(xs):
    for i in range(len(xs)):
        if i not in xs:
            return i
    return 0
`,
		Memory: `def missing_number(xs):
    seen = [False] * (10**9 + 1)
    for x in xs:
        seen[x] = True
    return seen.index(False)
`,
	},
	{
		Name: "intersect_sorted", Func: "intersect_sorted",
		Answer: `def intersect_sorted(a, b):
    i = j = 0
    out = []
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            if not out or out[-1] != a[i]:
                out.append(a[i])
            i += 1
            j += 1
        elif a[i] < b[j]:
            i += 1
        else:
            j += 1
    return out
`,
		Tests: `assert intersect_sorted([1, 2, 2, 3], [2, 2, 3, 4]) == [2, 3]
assert intersect_sorted([], [1]) == []
assert intersect_sorted([1, 5], [5]) == [5]
`,
		Wrong: `def intersect_sorted(a, b):
    return [x for x in a if x in b]
`,
		Loop: `def intersect_sorted(a, b):
    i = j = 0
    out = []
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            if a[i] not in out:
                out.append(a[i])
        elif a[i] < b[j]:
            i += 1
        else:
            j += 1
    return out
`,
	},
	{
		Name: "sliding_max", Func: "sliding_max",
		Answer: `from collections import deque

def sliding_max(xs, k):
    window, out = deque(), []
    for i, x in enumerate(xs):
        while window and xs[window[-1]] <= x:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.popleft()
        if i >= k - 1:
            out.append(xs[window[0]])
    return out
`,
		Tests: `assert sliding_max([1, 3, -1, -3, 5, 3, 6, 7], 3) == [3, 3, 5, 5, 6, 7]
assert sliding_max([4], 1) == [4]
assert sliding_max([2, 1], 2) == [2]
`,
		Wrong: `def sliding_max(xs, k):
    return [max(xs[i:i + k]) for i in range(len(xs) - k)]
`,
	},
	{
		Name: "majority_element", Func: "majority",
		Answer: `def majority(xs):
    candidate, count = None, 0
    for x in xs:
        if count == 0:
            candidate = x
        count += 1 if x == candidate else -1
    return candidate if xs.count(candidate) * 2 > len(xs) else None
`,
		Tests: `assert majority([3, 2, 3]) == 3
assert majority([2, 2, 1, 1, 1, 2, 2]) == 2
assert majority([1, 2]) is None
`,
		Wrong: `def majority(xs):
    return xs[len(xs) // 2]
`,
	},
	{
		Name: "merge_counts", Func: "merge_counts",
		Answer: `def merge_counts(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out
`,
		Tests: `assert merge_counts({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {"a": 1, "b": 5, "c": 4}
assert merge_counts({}, {}) == {}
assert merge_counts({"x": 1}, {}) == {"x": 1}
`,
		Wrong: `def merge_counts(a, b):
    return {**a, **b}
`,
	},
	{
		Name: "top_k_words", Func: "top_k",
		Answer: `from collections import Counter

def top_k(text, k):
    counts = Counter(text.lower().split())
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
`,
		Tests: `assert top_k("b a b c a b", 2) == ["b", "a"]
assert top_k("x y z", 2) == ["x", "y"]
assert top_k("", 3) == []
`,
		Wrong: `from collections import Counter

def top_k(text, k):
    return [w for w, _ in Counter(text.split()).most_common(k)][::-1]
`,
	},
	{
		Name: "group_anagrams", Func: "group_anagrams",
		Answer: `from collections import defaultdict

def group_anagrams(words):
    groups = defaultdict(list)
    for w in words:
        groups["".join(sorted(w))].append(w)
    return sorted(sorted(g) for g in groups.values())
`,
		Tests: `assert group_anagrams(["eat", "tea", "tan", "ate", "nat", "bat"]) == [["ate", "eat", "tea"], ["bat"], ["nat", "tan"]]
assert group_anagrams([]) == []
assert group_anagrams(["a"]) == [["a"]]
`,
		Wrong: `def group_anagrams(words):
    return [sorted(words)]
`,
	},
	{
		Name: "nested_get", Func: "nested_get",
		Answer: `def nested_get(d, path, default=None):
    cur = d
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return cur
`,
		Tests: `cfg = {"db": {"host": "localhost", "port": 5432}, "debug": False}
assert nested_get(cfg, "db.port") == 5432
assert nested_get(cfg, "debug") is False
assert nested_get(cfg, "db.user", "root") == "root"
assert nested_get(cfg, "debug.level") is None
`,
		Wrong: `def nested_get(d, path, default=None):
    for key in path.split("."):
        d = d.get(key, default)
    return d
`,
	},
	{
		Name: "is_perfect", Func: "is_perfect",
		Answer: `def is_perfect(n):
    if n < 2:
        return False
    total = 1
    d = 2
    while d * d <= n:
        if n % d == 0:
            total += d
            if d != n // d:
                total += n // d
        d += 1
    return total == n
`,
		Tests: `assert is_perfect(6)
assert is_perfect(28)
assert is_perfect(8128)
assert not is_perfect(12)
assert not is_perfect(1)
`,
		Wrong: `def is_perfect(n):
    return sum(d for d in range(1, n + 1) if n % d == 0) == n
`,
	},
	{
		Name: "binomial", Func: "binomial",
		Answer: `import math

def binomial(n, k):
    if k < 0 or k > n:
        return 0
    return math.comb(n, k)
`,
		Tests: `assert binomial(5, 2) == 10
assert binomial(10, 0) == 1
assert binomial(3, 5) == 0
assert binomial(30, 15) == 155117520
`,
		Wrong: `def binomial(n, k):
    return n * (n - 1) // k
`,
		Raise: `import math

def binomial(n, k):
    return math.factorial(n) // (math.factorial(k) * math.factorial(n - k))
`,
	},
	{
		Name: "prime_factors", Func: "prime_factors",
		Answer: `def prime_factors(n):
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out
`,
		Tests: `assert prime_factors(12) == [2, 2, 3]
assert prime_factors(97) == [97]
assert prime_factors(1) == []
assert prime_factors(360) == [2, 2, 2, 3, 3, 5]
`,
		Wrong: `def prime_factors(n):
    return [d for d in range(2, n + 1) if n % d == 0 and all(d % p for p in range(2, d))]
`,
		Loop: `def prime_factors(n):
    out, d = [], 2
    while n > 1:
        if n % d == 0:
            out.append(d)
            n //= d
        else:
            d += 2
    return out
`,
		Memory: `LIMIT = 10**8
smallest = list(range(LIMIT + 1))

def prime_factors(n):
    out = []
    while n > 1:
        out.append(smallest[n])
        n //= smallest[n]
    return out
`,
	},
	{
		Name: "is_power_of_two", Func: "is_power_of_two",
		Answer: `def is_power_of_two(n):
    return n > 0 and n & (n - 1) == 0
`,
		Tests: `assert is_power_of_two(1)
assert is_power_of_two(1024)
assert not is_power_of_two(0)
assert not is_power_of_two(12)
`,
		Wrong: `def is_power_of_two(n):
    return n % 2 == 0
`,
		Loop: `def is_power_of_two(n):
    while n % 2 == 0:
        n //= 2
    return n == 1
`,
	},
	{
		Name: "sqrt_newton", Func: "sqrt_newton",
		Answer: `def sqrt_newton(x):
    if x == 0:
        return 0.0
    g = x
    while abs(g * g - x) > 1e-9 * x:
        g = (g + x / g) / 2
    return g
`,
		Tests: `assert abs(sqrt_newton(2) - 1.41421356) < 1e-6
assert abs(sqrt_newton(144) - 12) < 1e-6
assert sqrt_newton(0) == 0.0
`,
		Wrong: `def sqrt_newton(x):
    return x / 2
`,
		Loop: `def sqrt_newton(x):
    g = x / 2
    while g * g != x:
        g = (g + x / g) / 2 + 1e-12
    return g
`,
	},
	{
		Name: "base_convert", Func: "to_base",
		Answer: `def to_base(n, b):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    n = abs(n)
    out = []
    while n:
        n, r = divmod(n, b)
        out.append(digits[r])
    return sign + "".join(reversed(out))
`,
		Tests: `assert to_base(255, 16) == "ff"
assert to_base(5, 2) == "101"
assert to_base(0, 7) == "0"
assert to_base(-35, 36) == "-z"
`,
		Wrong: `def to_base(n, b):
    return format(n, "x") if b == 16 else bin(n)[2:]
`,
	},
	{
		Name: "hanoi_moves", Func: "hanoi",
		Answer: `def hanoi(n, src="A", dst="C", via="B"):
    if n == 0:
        return []
    return hanoi(n - 1, src, via, dst) + [(src, dst)] + hanoi(n - 1, via, dst, src)
`,
		Tests: `assert hanoi(1) == [("A", "C")]
assert hanoi(2) == [("A", "B"), ("A", "C"), ("B", "C")]
assert len(hanoi(10)) == 1023
`,
		Wrong: `def hanoi(n, src="A", dst="C", via="B"):
    if n == 0:
        return []
    return hanoi(n - 1, src, dst, via) + [(src, dst)] + hanoi(n - 1, via, src, dst)
`,
		Raise: `def hanoi(n, src="A", dst="C", via="B"):
    return hanoi(n - 1, src, via, dst) + [(src, dst)] + hanoi(n - 1, via, dst, src)
`,
	},
	{
		Name: "tree_depth", Func: "depth",
		Answer: `def depth(tree):
    if tree is None:
        return 0
    _, left, right = tree
    return 1 + max(depth(left), depth(right))
`,
		Tests: `leaf = (1, None, None)
assert depth(None) == 0
assert depth(leaf) == 1
assert depth((2, leaf, (3, None, leaf))) == 3
`,
		Wrong: `def depth(tree):
    if tree is None:
        return 0
    _, left, right = tree
    return 1 + depth(left)
`,
	},
	{
		Name: "count_paths", Func: "count_paths",
		Answer: `from functools import lru_cache

@lru_cache(maxsize=None)
def count_paths(m, n):
    if m == 1 or n == 1:
        return 1
    return count_paths(m - 1, n) + count_paths(m, n - 1)
`,
		Tests: `assert count_paths(2, 2) == 2
assert count_paths(3, 7) == 28
assert count_paths(18, 18) == 2333606220
`,
		Wrong: `def count_paths(m, n):
    return m * n
`,
		Memory: `def count_paths(m, n):
    size = 10**5
    grid = [[0] * size for _ in range(size)]
    for i in range(m):
        for j in range(n):
            grid[i][j] = 1 if i == 0 or j == 0 else grid[i - 1][j] + grid[i][j - 1]
    return grid[m - 1][n - 1]
`,
	},
	{
		Name: "subset_sum", Func: "subset_sum",
		Answer: `def subset_sum(xs, target):
    if target == 0:
        return True
    if not xs:
        return False
    head, rest = xs[0], xs[1:]
    return subset_sum(rest, target - head) or subset_sum(rest, target)
`,
		Tests: `assert subset_sum([3, 34, 4, 12, 5, 2], 9)
assert not subset_sum([3, 34, 4, 12, 5, 2], 30)
assert subset_sum([], 0)
`,
		Wrong: `def subset_sum(xs, target):
    return target in xs or sum(xs) == target
`,
		Raise: `def subset_sum(xs, target):
    if target == 0:
        return True
    head, rest = xs[0], xs[1:]
    return subset_sum(rest, target - head) or subset_sum(rest, target)
`,
	},
	{
		Name: "stack_class", Func: "Stack",
		Answer: `class Stack:
    def __init__(self):
        self._items = []

    def push(self, x):
        self._items.append(x)

    def pop(self):
        if not self._items:
            raise IndexError("pop from empty stack")
        return self._items.pop()

    def peek(self):
        return self._items[-1] if self._items else None

    def is_empty(self):
        return not self._items
`,
		Tests: `s = Stack()
assert s.is_empty()
s.push(1)
s.push(2)
assert s.peek() == 2
assert s.pop() == 2
assert s.pop() == 1
assert s.is_empty()
try:
    s.pop()
    assert False, "pop on empty stack must raise"
except IndexError:
    pass
`,
		Wrong: `class Stack:
    def __init__(self):
        self._items = []

    def push(self, x):
        self._items.append(x)

    def pop(self):
        return self._items.pop(0) if self._items else None

    def peek(self):
        return self._items[0] if self._items else None

    def is_empty(self):
        return not self._items
`,
		Raise: `class Stack:
    def __init__(self):
        self._items = []

    def push(self, x):
        self.items.append(x)

    def pop(self):
        return self._items.pop()

    def peek(self):
        return self._items[-1]

    def is_empty(self):
        return not self._items
`,
	},
	{
		Name: "bank_account", Func: "Account",
		Answer: `class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount
        return self.balance

    def withdraw(self, amount):
        if amount > self.balance:
            raise ValueError("insufficient funds")
        self.balance -= amount
        return self.balance
`,
		Tests: `acct = Account("ada", 10)
assert acct.deposit(5) == 15
assert acct.withdraw(15) == 0
for bad in (lambda: acct.withdraw(1), lambda: acct.deposit(0)):
    try:
        bad()
        assert False, "must raise"
    except ValueError:
        pass
assert acct.balance == 0
`,
		Wrong: `class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount
        return self.balance

    def withdraw(self, amount):
        self.balance -= amount
        return self.balance
`,
	},
	{
		Name: "vector_class", Func: "Vector",
		Answer: `import math
from dataclasses import dataclass

@dataclass(frozen=True)
class Vector:
    x: float
    y: float

    def __add__(self, other):
        return Vector(self.x + other.x, self.y + other.y)

    def __mul__(self, k):
        return Vector(self.x * k, self.y * k)

    def __abs__(self):
        return math.hypot(self.x, self.y)
`,
		Tests: `v = Vector(3, 4)
assert abs(v) == 5
assert v + Vector(1, 2) == Vector(4, 6)
assert v * 2 == Vector(6, 8)
assert len({v, Vector(3, 4)}) == 1
`,
		Wrong: `import math
from dataclasses import dataclass

@dataclass(frozen=True)
class Vector:
    x: float
    y: float

    def __add__(self, other):
        return Vector(self.x + other.x, self.y + other.x)

    def __mul__(self, k):
        return Vector(self.x * k, self.y * k)

    def __abs__(self):
        return math.hypot(self.x, self.y)
`,
		Raise: `import math
from dataclasses import dataclass

@dataclass
class Vector:
    x: float
    y: float

    def __add__(self, other):
        return Vector(self.x + other.x, self.y + other.y)

    def __mul__(self, k):
        return Vector(self.x * k, self.y * k)

    def __abs__(self):
        return math.hypot(self.x, self.y)
`,
	},
	{
		Name: "lru_cache_class", Func: "LRUCache",
		Answer: `from collections import OrderedDict

class LRUCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = OrderedDict()

    def get(self, key):
        if key not in self.items:
            return -1
        self.items.move_to_end(key)
        return self.items[key]

    def put(self, key, value):
        self.items[key] = value
        self.items.move_to_end(key)
        if len(self.items) > self.capacity:
            self.items.popitem(last=False)
`,
		Tests: `c = LRUCache(2)
c.put(1, 1)
c.put(2, 2)
assert c.get(1) == 1
c.put(3, 3)
assert c.get(2) == -1
c.put(4, 4)
assert c.get(1) == -1
assert c.get(3) == 3
assert c.get(4) == 4
`,
		Wrong: `class LRUCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = {}

    def get(self, key):
        return self.items.get(key, -1)

    def put(self, key, value):
        self.items[key] = value
        if len(self.items) > self.capacity:
            del self.items[next(iter(self.items))]
`,
	},
	{
		Name: "sort_by_second", Func: "sort_by_second",
		Answer: `def sort_by_second(pairs):
    return sorted(pairs, key=lambda p: (p[1], p[0]))
`,
		Tests: `assert sort_by_second([(1, 3), (2, 1), (3, 2)]) == [(2, 1), (3, 2), (1, 3)]
assert sort_by_second([(2, 1), (1, 1)]) == [(1, 1), (2, 1)]
assert sort_by_second([]) == []
`,
		Wrong: `def sort_by_second(pairs):
    return sorted(pairs, key=lambda p: p[1], reverse=True)
`,
	},
	{
		Name: "insertion_sort", Func: "insertion_sort",
		Answer: `def insertion_sort(xs):
    xs = list(xs)
    for i in range(1, len(xs)):
        x = xs[i]
        j = i - 1
        while j >= 0 and xs[j] > x:
            xs[j + 1] = xs[j]
            j -= 1
        xs[j + 1] = x
    return xs
`,
		Tests: `assert insertion_sort([5, 2, 9, 1, 5, 6]) == [1, 2, 5, 5, 6, 9]
assert insertion_sort([]) == []
assert insertion_sort([3, -1]) == [-1, 3]
`,
		Wrong: `def insertion_sort(xs):
    xs = list(xs)
    for i in range(1, len(xs)):
        if xs[i] < xs[i - 1]:
            xs[i], xs[i - 1] = xs[i - 1], xs[i]
    return xs
`,
		Loop: `def insertion_sort(xs):
    xs = list(xs)
    for i in range(1, len(xs)):
        x = xs[i]
        j = i - 1
        while j >= 0 and xs[j] > x:
            xs[j + 1] = xs[j]
        xs[j + 1] = x
    return xs
`,
	},
	{
		Name: "sort_names", Func: "sort_names",
		Answer: `def sort_names(names):
    return sorted(names, key=lambda n: (n.split()[-1].lower(), n.split()[0].lower()))
`,
		Tests: `assert sort_names(["Ada Lovelace", "Alan Turing", "Grace Hopper", "Anita Borg"]) == ["Anita Borg", "Grace Hopper", "Ada Lovelace", "Alan Turing"]
assert sort_names(["bob smith", "Al Smith"]) == ["Al Smith", "bob smith"]
`,
		Wrong: `def sort_names(names):
    return sorted(names)
`,
	},
	{
		Name: "merge_intervals", Func: "merge_intervals",
		Answer: `def merge_intervals(intervals):
    out = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [tuple(iv) for iv in out]
`,
		Tests: `assert merge_intervals([(1, 3), (2, 6), (8, 10), (15, 18)]) == [(1, 6), (8, 10), (15, 18)]
assert merge_intervals([(1, 4), (4, 5)]) == [(1, 5)]
assert merge_intervals([(5, 7), (1, 2)]) == [(1, 2), (5, 7)]
assert merge_intervals([]) == []
`,
		Wrong: `def merge_intervals(intervals):
    out = []
    for start, end in intervals:
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out
`,
	},
	{
		Name: "extract_emails", Func: "extract_emails",
		Answer: `import re

def extract_emails(text):
    return re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
`,
		Tests: `assert extract_emails("mail ada@example.com or bob.smith+x@mail.co.uk now") == ["ada@example.com", "bob.smith+x@mail.co.uk"]
assert extract_emails("no mail here @ all") == []
`,
		Wrong: `def extract_emails(text):
    return [w for w in text.split() if "@" in w]
`,
	},
	{
		Name: "parse_log_line", Func: "parse_log",
		Answer: `import re

LINE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2}) \[(?P<level>[A-Z]+)\] (?P<msg>.*)$")

def parse_log(line):
    m = LINE.match(line)
    return m.groupdict() if m else None
`,
		Tests: `assert parse_log("2024-05-01 [ERROR] disk full") == {"date": "2024-05-01", "level": "ERROR", "msg": "disk full"}
assert parse_log("2024-05-01 [info] lower") is None
assert parse_log("garbage") is None
`,
		Wrong: `def parse_log(line):
    date, level, msg = line.split(" ", 2)
    return {"date": date, "level": level.strip("[]"), "msg": msg}
`,
	},
	{
		Name: "normalize_whitespace", Func: "normalize",
		Answer: `import re

def normalize(s):
    return re.sub(r"\s+", " ", s).strip()
`,
		Tests: `assert normalize("  hello   world \n") == "hello world"
assert normalize("a\tb\nc") == "a b c"
assert normalize("   ") == ""
`,
		Wrong: `def normalize(s):
    return s.replace("  ", " ").strip()
`,
	},
	{
		Name: "is_valid_ipv4", Func: "is_ipv4",
		Answer: `import re

def is_ipv4(s):
    if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", s):
        return False
    return all(int(p) <= 255 and (p == "0" or not p.startswith("0")) for p in s.split("."))
`,
		Tests: `assert is_ipv4("192.168.0.1")
assert not is_ipv4("256.1.1.1")
assert not is_ipv4("1.2.3")
assert not is_ipv4("01.2.3.4")
assert is_ipv4("0.0.0.0")
`,
		Wrong: `def is_ipv4(s):
    return s.count(".") == 3
`,
	},
	{
		Name: "weekday_name", Func: "weekday",
		Answer: `from datetime import datetime

def weekday(date_str):
    return datetime.strptime(date_str, "%Y-%m-%d").strftime("%A")
`,
		Tests: `assert weekday("2024-01-01") == "Monday"
assert weekday("2000-02-29") == "Tuesday"
assert weekday("1969-07-20") == "Sunday"
`,
		Wrong: `import datetime

def weekday(date_str):
    y, m, d = map(int, date_str.split("-"))
    return ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][datetime.date(y, m, d).isoweekday() % 7]
`,
	},
	{
		Name: "add_business_days", Func: "add_business_days",
		Answer: `from datetime import date, timedelta

def add_business_days(start, n):
    d = date.fromisoformat(start)
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d.isoformat()
`,
		Tests: `assert add_business_days("2024-05-03", 1) == "2024-05-06"
assert add_business_days("2024-05-06", 5) == "2024-05-13"
assert add_business_days("2024-05-06", 0) == "2024-05-06"
`,
		Wrong: `from datetime import date, timedelta

def add_business_days(start, n):
    return (date.fromisoformat(start) + timedelta(days=n)).isoformat()
`,
		Loop: `from datetime import date, timedelta

def add_business_days(start, n):
    d = date.fromisoformat(start)
    while n > 0:
        following = d + timedelta(days=1)
        if following.weekday() < 5:
            d = following
            n -= 1
    return d.isoformat()
`,
	},
	{
		Name: "age_on", Func: "age_on",
		Answer: `from datetime import date

def age_on(birth, day):
    b, d = date.fromisoformat(birth), date.fromisoformat(day)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
`,
		Tests: `assert age_on("2000-06-15", "2024-06-14") == 23
assert age_on("2000-06-15", "2024-06-15") == 24
assert age_on("2004-02-29", "2005-02-28") == 0
`,
		Wrong: `from datetime import date

def age_on(birth, day):
    return (date.fromisoformat(day) - date.fromisoformat(birth)).days // 365
`,
	},
	{
		Name: "month_lengths", Func: "month_lengths",
		Answer: `import calendar

def month_lengths(year):
    return [calendar.monthrange(year, m)[1] for m in range(1, 13)]
`,
		Tests: `assert month_lengths(2023) == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
assert month_lengths(2024)[1] == 29
assert month_lengths(1900)[1] == 28
assert sum(month_lengths(2000)) == 366
`,
		Wrong: `def month_lengths(year):
    feb = 29 if year % 4 == 0 else 28
    return [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
`,
	},
	{
		Name: "take_evens", Func: "evens",
		Answer: `def evens(n):
    k = 0
    while k < n:
        yield 2 * k
        k += 1
`,
		Tests: `assert list(evens(4)) == [0, 2, 4, 6]
assert list(evens(0)) == []
g = evens(2)
assert next(g) == 0 and next(g) == 2
`,
		Wrong: `def evens(n):
    return [x for x in range(n) if x % 2 == 0]
`,
		Loop: `def evens(n):
    out = []
    k = 0
    while len(out) < n:
        if k % 2 == 1:
            out.append(k)
        k += 2
    return out
`,
	},
	{
		Name: "chunked", Func: "chunked",
		Answer: `from itertools import islice

def chunked(iterable, size):
    it = iter(iterable)
    while True:
        chunk = tuple(islice(it, size))
        if not chunk:
            return
        yield chunk
`,
		Tests: `assert list(chunked(range(7), 3)) == [(0, 1, 2), (3, 4, 5), (6,)]
assert list(chunked([], 2)) == []
assert next(chunked(iter("abc"), 2)) == ("a", "b")
`,
		Wrong: `def chunked(iterable, size):
    xs = list(iterable)
    return [tuple(xs[i:i + size]) for i in range(0, len(xs) - size + 1, size)]
`,
		Loop: `def chunked(iterable, size):
    xs = list(iterable)
    start = 0
    while start < len(xs):
        end = start
        while end - start < size:
            if end < len(xs):
                end += 1
        yield tuple(xs[start:end])
        start = end
`,
	},
	{
		Name: "primes_gen", Func: "primes",
		Answer: `from itertools import count, islice

def primes():
    found = []
    for n in count(2):
        if all(n % p for p in found if p * p <= n):
            found.append(n)
            yield n

def first_primes(k):
    return list(islice(primes(), k))
`,
		Tests: `assert first_primes(5) == [2, 3, 5, 7, 11]
assert first_primes(0) == []
assert first_primes(25)[-1] == 97
`,
		Wrong: `from itertools import count, islice

def primes():
    for n in count(2):
        if n == 2 or n % 2:
            yield n

def first_primes(k):
    return list(islice(primes(), k))
`,
		Raise: `from itertools import count

def primes():
    found = []
    for n in count(2):
        if all(n % p for p in found if p * p <= n):
            found.append(n)
            yield n

def first_primes(k):
    return primes()[:k]
`,
		Loop: `from itertools import count

def primes():
    found = []
    for n in count(2):
        if all(n % p for p in found if p * p <= n):
            found.append(n)
            yield n

def first_primes(k):
    return [p for p in primes() if len(str(p)) <= 2][:k]
`,
	},
	{
		Name: "flatten_gen", Func: "iter_flat",
		Answer: `def iter_flat(xs):
    for x in xs:
        if isinstance(x, (list, tuple)):
            yield from iter_flat(x)
        else:
            yield x
`,
		Tests: `assert list(iter_flat([1, (2, [3]), [[4]], 5])) == [1, 2, 3, 4, 5]
assert list(iter_flat([])) == []
assert list(iter_flat(["ab", ["c"]])) == ["ab", "c"]
`,
		Wrong: `def iter_flat(xs):
    for x in xs:
        if isinstance(x, list):
            yield from x
        else:
            yield x
`,
	},
	{
		Name: "fib_gen", Func: "fib_upto",
		Answer: `def fib_upto(limit):
    a, b = 0, 1
    while a <= limit:
        yield a
        a, b = b, a + b
`,
		Tests: `assert list(fib_upto(10)) == [0, 1, 1, 2, 3, 5, 8]
assert list(fib_upto(0)) == [0]
assert sum(fib_upto(100)) == 232
`,
		Wrong: `def fib_upto(limit):
    a, b = 0, 1
    while b <= limit:
        yield a
        a, b = b, a + b
`,
		Loop: `def fib_upto(limit):
    n, a, b = 0, 0, 1
    while a != limit:
        a, b = b, a + b
        n += 1
    a, b = 0, 1
    for _ in range(n + 1):
        yield a
        a, b = b, a + b
`,
	},
	{
		Name: "run_length_decode", Func: "rle_decode",
		Answer: `import re

def rle_decode(s):
    return "".join(ch * int(n) for n, ch in re.findall(r"(\d+)(\D)", s))
`,
		Tests: `assert rle_decode("3a2b1c") == "aaabbc"
assert rle_decode("12x") == "x" * 12
assert rle_decode("") == ""
`,
		Wrong: `def rle_decode(s):
    return "".join(s[i + 1] * int(s[i]) for i in range(0, len(s), 2))
`,
		Memory: `import re

def rle_decode(s):
    buf = bytearray(10**9)
    out = []
    for n, ch in re.findall(r"(\d+)(\D)", s):
        out.append(ch * int(n))
    return "".join(out)
`,
	},
	{
		Name: "spiral_order", Func: "spiral",
		Answer: `def spiral(matrix):
    out = []
    m = [list(r) for r in matrix]
    while m:
        out.extend(m.pop(0))
        m = [list(r) for r in zip(*m)][::-1]
    return out
`,
		Tests: `assert spiral([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]
assert spiral([[1, 2], [3, 4], [5, 6]]) == [1, 2, 4, 6, 5, 3]
assert spiral([]) == []
`,
		Wrong: `def spiral(matrix):
    return [x for row in matrix for x in row]
`,
	},
	{
		Name: "two_sum_indices", Func: "two_sum",
		Answer: `def two_sum(xs, target):
    seen = {}
    for i, x in enumerate(xs):
        if target - x in seen:
            return (seen[target - x], i)
        seen[x] = i
    return None
`,
		Tests: `assert two_sum([2, 7, 11, 15], 9) == (0, 1)
assert two_sum([3, 2, 4], 6) == (1, 2)
assert two_sum([3, 3], 6) == (0, 1)
assert two_sum([1, 2], 7) is None
`,
		Wrong: `def two_sum(xs, target):
    for i in range(len(xs)):
        for j in range(len(xs)):
            if xs[i] + xs[j] == target:
                return (i, j)
    return None
`,
		Memory: `def two_sum(xs, target):
    index = [None] * (10**9)
    for i, x in enumerate(xs):
        if index[target - x] is not None:
            return (index[target - x], i)
        index[x] = i
    return None
`,
	},
	{
		Name: "levenshtein", Func: "edit_distance",
		Answer: `def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
`,
		Tests: `assert edit_distance("kitten", "sitting") == 3
assert edit_distance("", "abc") == 3
assert edit_distance("flaw", "lawn") == 2
assert edit_distance("same", "same") == 0
`,
		Wrong: `def edit_distance(a, b):
    return sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))
`,
		Memory: `def edit_distance(a, b):
    dp = [[0] * 20_000 for _ in range(20_000)]
    for i in range(len(a) + 1):
        dp[i][0] = i
    for j in range(len(b) + 1):
        dp[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            dp[i][j] = min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return dp[len(a)][len(b)]
`,
	},
	{
		Name: "matrix_determinant", Func: "det",
		Answer: `def det(m):
    if len(m) == 1:
        return m[0][0]
    total = 0
    for j in range(len(m)):
        minor = [row[:j] + row[j + 1:] for row in m[1:]]
        total += (-1) ** j * m[0][j] * det(minor)
    return total
`,
		Tests: `assert det([[5]]) == 5
assert det([[1, 2], [3, 4]]) == -2
assert det([[2, 0, 1], [1, 3, 2], [1, 1, 2]]) == 6
`,
		Wrong: `def det(m):
    if len(m) == 1:
        return m[0][0]
    return sum(m[0][j] * det([row[:j] + row[j + 1:] for row in m[1:]]) for j in range(len(m)))
`,
	},
	{
		Name: "queue_two_stacks", Func: "Queue",
		Answer: `class Queue:
    def __init__(self):
        self._in, self._out = [], []

    def enqueue(self, x):
        self._in.append(x)

    def dequeue(self):
        if not self._out:
            while self._in:
                self._out.append(self._in.pop())
        return self._out.pop()

    def __len__(self):
        return len(self._in) + len(self._out)
`,
		Tests: `q = Queue()
for i in range(3):
    q.enqueue(i)
assert q.dequeue() == 0
q.enqueue(3)
assert [q.dequeue() for _ in range(3)] == [1, 2, 3]
assert len(q) == 0
`,
		Wrong: `class Queue:
    def __init__(self):
        self._items = []

    def enqueue(self, x):
        self._items.append(x)

    def dequeue(self):
        return self._items.pop()

    def __len__(self):
        return len(self._items)
`,
		Raise: `class Queue:
    def __init__(self):
        self._in, self._out = [], []

    def enqueue(self, x):
        self._in.append(x)

    def dequeue(self):
        return self._out.pop()

    def __len__(self):
        return len(self._in) + len(self._out)
`,
	},
	{
		Name: "temperature_table", Func: "c_to_f_table",
		Answer: `def c_to_f_table(start, stop, step):
    return {c: round(c * 9 / 5 + 32, 1) for c in range(start, stop + 1, step)}
`,
		Tests: `assert c_to_f_table(0, 100, 50) == {0: 32.0, 50: 122.0, 100: 212.0}
assert c_to_f_table(-40, -40, 1) == {-40: -40.0}
assert c_to_f_table(37, 37, 5)[37] == 98.6
`,
		Wrong: `def c_to_f_table(start, stop, step):
    return {c: c * 9 / 5 + 32 for c in range(start, stop, step)}
`,
	},
	{
		Name: "roman_from_int", Func: "to_roman",
		Answer: `def to_roman(n):
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, sym in table:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)
`,
		Tests: `assert to_roman(3) == "III"
assert to_roman(58) == "LVIII"
assert to_roman(1994) == "MCMXCIV"
`,
		Wrong: `def to_roman(n):
    table = [(1000, "M"), (500, "D"), (100, "C"), (50, "L"), (10, "X"), (5, "V"), (1, "I")]
    out = []
    for value, sym in table:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)
`,
		Loop: `def to_roman(n):
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    while n > 0:
        for value, sym in table:
            if n > value:
                out += sym
                n -= value
                break
    return out
`,
	},
	{
		Name: "isbn10_check", Func: "is_isbn10",
		Answer: `def is_isbn10(s):
    s = s.replace("-", "")
    if len(s) != 10 or not s[:9].isdigit() or not (s[9].isdigit() or s[9] == "X"):
        return False
    digits = [int(c) for c in s[:9]] + [10 if s[9] == "X" else int(s[9])]
    return sum((10 - i) * d for i, d in enumerate(digits)) % 11 == 0
`,
		Tests: `assert is_isbn10("3-598-21508-8")
assert is_isbn10("3-598-21507-X")
assert not is_isbn10("3-598-21508-9")
assert not is_isbn10("3598215088X")
`,
		Wrong: `def is_isbn10(s):
    s = s.replace("-", "")
    return len(s) == 10
`,
		Raise: `def is_isbn10(s):
    s = s.replace("-", "")
    digits = [int(c) for c in s]
    return sum((10 - i) * d for i, d in enumerate(digits)) % 11 == 0
`,
	},
	{
		Name: "json_roundtrip", Func: "pretty_json",
		Answer: `import json

def pretty_json(text):
    return json.dumps(json.loads(text), indent=2, sort_keys=True)
`,
		Tests: `assert pretty_json('{"b": 1, "a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}'
assert pretty_json("[]") == "[]"
`,
		Wrong: `import json

def pretty_json(text):
    return json.dumps(json.loads(text), indent=2)
`,
	},
	{
		Name: "window_average", Func: "moving_average",
		Answer: `from statistics import mean

def moving_average(xs, k):
    return [mean(xs[i:i + k]) for i in range(len(xs) - k + 1)]
`,
		Tests: `assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]
assert moving_average([10], 1) == [10]
assert moving_average([1, 2], 3) == []
`,
		Wrong: `def moving_average(xs, k):
    return [sum(xs[i:i + k]) / k for i in range(len(xs))]
`,
	},
	{
		Name: "histogram_bins", Func: "histogram",
		Answer: `import bisect

def histogram(values, edges):
    counts = [0] * (len(edges) - 1)
    for v in values:
        i = bisect.bisect_right(edges, v) - 1
        if 0 <= i < len(counts):
            counts[i] += 1
        elif v == edges[-1]:
            counts[-1] += 1
    return counts
`,
		Tests: `assert histogram([1, 2, 2, 3, 5, 9], [0, 2, 4, 6]) == [1, 3, 1]
assert histogram([6], [0, 2, 4, 6]) == [0, 0, 1]
assert histogram([], [0, 1]) == [0]
`,
		Wrong: `def histogram(values, edges):
    counts = [0] * (len(edges) - 1)
    for v in values:
        for i in range(len(counts)):
            if edges[i] <= v <= edges[i + 1]:
                counts[i] += 1
    return counts
`,
	},
	{
		Name: "text_wrap", Func: "wrap_lines",
		Answer: `import textwrap

def wrap_lines(text, width):
    return textwrap.wrap(text, width)
`,
		Tests: `assert wrap_lines("the quick brown fox jumps", 10) == ["the quick", "brown fox", "jumps"]
assert wrap_lines("", 5) == []
`,
		Wrong: `def wrap_lines(text, width):
    return [text[i:i + width] for i in range(0, len(text), width)]
`,
	},
	{
		Name: "fraction_reduce", Func: "reduce_fraction",
		Answer: `from math import gcd

def reduce_fraction(num, den):
    if den == 0:
        raise ZeroDivisionError("denominator is zero")
    g = gcd(num, den)
    num, den = num // g, den // g
    if den < 0:
        num, den = -num, -den
    return (num, den)
`,
		Tests: `assert reduce_fraction(6, 8) == (3, 4)
assert reduce_fraction(-3, -9) == (1, 3)
assert reduce_fraction(5, -10) == (-1, 2)
assert reduce_fraction(0, 7) == (0, 1)
`,
		Wrong: `from math import gcd

def reduce_fraction(num, den):
    g = gcd(num, den)
    return (num // g, den // g)
`,
	},
	{
		Name: "bits_count_range", Func: "count_bits",
		Answer: `def count_bits(n):
    out = [0] * (n + 1)
    for i in range(1, n + 1):
        out[i] = out[i >> 1] + (i & 1)
    return out
`,
		Tests: `assert count_bits(5) == [0, 1, 1, 2, 1, 2]
assert count_bits(0) == [0]
assert sum(count_bits(1023)) == 5120
`,
		Wrong: `def count_bits(n):
    return [bin(i).count("1") for i in range(n)]
`,
		Memory: `def count_bits(n):
    table = [0] * (1 << 30)
    for i in range(1, n + 1):
        table[i] = table[i >> 1] + (i & 1)
    return table[:n + 1]
`,
	},
}
