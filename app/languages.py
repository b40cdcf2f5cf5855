"""Language and programming-language codes accepted for projects, with their display names."""

LANGUAGES: dict[str, str] = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese",
    "pt-br": "Brazilian Portuguese", "ru": "Russian", "ja": "Japanese", "zh": "Chinese",
    "zh-cn": "Simplified Chinese", "zh-tw": "Traditional Chinese", "ko": "Korean", "nl": "Dutch",
    "pl": "Polish", "sv": "Swedish", "da": "Danish", "fi": "Finnish", "nb": "Norwegian Bokmal",
    "cs": "Czech", "uk": "Ukrainian", "tr": "Turkish", "el": "Greek", "he": "Hebrew", "ar": "Arabic",
    "hi": "Hindi", "id": "Indonesian", "vi": "Vietnamese", "th": "Thai", "hu": "Hungarian",
    "ro": "Romanian", "ca": "Catalan", "fa": "Persian", "bn": "Bengali", "ta": "Tamil", "ms": "Malay",
}

PROGRAMMING_LANGUAGES: dict[str, str] = {
    "words": "Only Words", "py": "Python", "js": "JavaScript", "php": "PHP", "ruby": "Ruby",
    "perl": "Perl", "java": "Java", "go": "Go", "julia": "Julia", "c": "C", "csharp": "C#",
    "cpp": "C++", "objc": "Objective-C", "css": "CSS", "ts": "TypeScript", "swift": "Swift",
    "vb": "Visual Basic", "r": "R", "scala": "Scala", "groovy": "Groovy", "coffee": "CoffeeScript",
    "lua": "Lua", "haskell": "Haskell", "rust": "Rust", "other": "Other",
}
