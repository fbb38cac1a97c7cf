@invoices @security @invoices_10 @invoices_12
Feature: Notifications that Cryptopay did not sign change nothing
  Proves, in Cryptopay's words:
  - Invoices item 10: Make sure that you have received the callbacks and processed them correctly on your side
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  Only a notification signed with the account's callback secret over its exact content may be acted on.
  Anything else is refused and leaves the deposit and the balance as they were:
    forged      - signed, but with a secret other than the account's callback secret
    tampered    - signed by Cryptopay, then changed on its way to the merchant
    unsigned    - carries no signature at all
    misdirected - carries Cryptopay's genuine signature, but one made over another notification's content

  Scenario Outline: A <kind> "completed" notification is refused
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    When someone sends the merchant a <kind> "completed" notification of the deposit
    Then the merchant refused the notification
    And the merchant still records the deposit as new
    And the customer has been credited nothing

    Examples:
      | kind        |
      | forged      |
      | tampered    |
      | unsigned    |
      | misdirected |
