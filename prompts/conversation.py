"""The follow-up rewrite: a question that leans on the conversation, written as one that stands alone."""

from langchain_core.prompts import ChatPromptTemplate

REWRITE_PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Rewrite the user's last question so that it can be understood without the conversation: "
            "replace pronouns and references with what they refer to. Keep every name and number. "
            "Write only the rewritten question, in the question's language.",
        ),
        ("human", "Conversation:\n{conversation}\n\nLast question: {question}\n\nRewritten question:"),
    ]
)
