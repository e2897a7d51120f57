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
}
