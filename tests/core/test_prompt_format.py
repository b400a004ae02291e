from __future__ import annotations

import pytest

from app.engines.base import ChatMessage
from app.engines.prompt_format import FALLBACK_STOP, TemplateFormatter, transcript_prompt
from app.errors import ModelError


def test_transcript_fallback_is_documented_shape() -> None:
    prompt = transcript_prompt(
        [
            ChatMessage("system", "Be brief."),
            ChatMessage("user", "Hi"),
            ChatMessage("assistant", "Hello."),
            ChatMessage("user", "Bye"),
        ]
    )
    assert prompt.text == "Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Bye\nAssistant:"
    assert prompt.stop == FALLBACK_STOP


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

NO_SYSTEM = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "[{{ m['role'] }}]{{ m['content'] }}{% endfor %}"
)


def test_gguf_template_is_rendered_with_generation_prompt() -> None:
    fmt = TemplateFormatter(CHATML, bos_token="<s>", eos_token="<|im_end|>")
    prompt = fmt([ChatMessage("user", "Hi")])
    assert prompt.text == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert prompt.stop == ["<|im_end|>"]


def test_template_without_system_role_gets_it_folded_into_first_user_turn() -> None:
    fmt = TemplateFormatter(NO_SYSTEM, bos_token="<s>", eos_token="</s>")
    prompt = fmt([ChatMessage("system", "Rules."), ChatMessage("user", "Hi")])
    assert prompt.text == "<s>[user]Rules.\n\nHi"


def test_broken_template_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="chat template"):
        TemplateFormatter("{% for %}", bos_token="", eos_token="")


def test_template_cannot_reach_python_internals() -> None:
    evil = "{{ messages.__class__.__mro__[1].__subclasses__() }}"
    fmt = TemplateFormatter(evil, bos_token="", eos_token="")
    with pytest.raises(ModelError):
        fmt([ChatMessage("user", "x")])
