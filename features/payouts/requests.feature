@payouts @payouts_2
Feature: A customer's request to withdraw becomes a payout at Cryptopay
  Proves, in Cryptopay's words:
  - Payouts item 2: Create a payment
  When a customer asks to withdraw part of their balance, the merchant creates a payout at Cryptopay for that
  customer (named by the merchant's id for them), from its own account in the currency of the customer's balance,
  in the coin the customer asked for and to the address the customer gave, and sees it through: a payout created
  in two steps and never committed expires after 30 seconds and pays nobody.

  Scenario: A customer who asks to withdraw is paid out by Cryptopay to the address they gave
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR
    When the customer asks to withdraw 20.00 EUR, sent in crypto
    Then Cryptopay reports a payout for the customer, of what they asked, to the address they gave
    And Cryptopay reports the payout as completed
